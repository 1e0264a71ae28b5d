import Metrics
import Synchronization
import TokendCore

/// A gateway's view of one remote region: how long its server takes to answer, why it did
/// not, and whether its last exchange succeeded (`tokend_upstream_up`, 1 or 0; requests,
/// health checks and the portal's calls all count). The gauge appears with the first
/// exchange: before it, nothing is known, and a 0 would say the region is down.
final class UpstreamMetrics: Sendable {
    enum Failure: String, CaseIterable {
        case timeout, notJSON = "not_json", tooLarge = "too_large", connection
    }

    private let durations: Timer
    private let failures: [Failure: Counter]
    private let up: Mutex<Gauge?> = Mutex(nil)
    private let factory: any MetricsFactory
    private let region: (String, String)

    init(region: RegionName, factory: any MetricsFactory) {
        let region = ("region", region.rawValue)
        self.factory = factory
        self.region = region
        durations = Timer(
            label: "tokend_upstream_duration_seconds", dimensions: [region], preferredDisplayUnit: .seconds, factory: factory)
        failures = Dictionary(
            uniqueKeysWithValues: Failure.allCases.map { failure in
                (
                    failure,
                    Counter(label: "tokend_upstream_errors_total", dimensions: [region, ("error", failure.rawValue)], factory: factory)
                )
            })
    }

    func answered(in duration: Duration) {
        durations.record(duration: duration)
        record(up: 1)
    }

    func failed(_ failure: Failure, after duration: Duration) {
        durations.record(duration: duration)
        failures[failure]?.increment()
        record(up: 0)
    }

    private func record(up value: Int) {
        up.withLock { gauge in
            if gauge == nil { gauge = Gauge(label: "tokend_upstream_up", dimensions: [region], factory: factory) }
            gauge?.record(value)
        }
    }
}
