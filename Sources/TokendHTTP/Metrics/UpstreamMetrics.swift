import Metrics
import TokendCore

/// A gateway's view of one remote region: how long its server takes to answer, why it did
/// not, and whether its last exchange succeeded (`tokend_upstream_up`, 1 or 0; requests,
/// health checks and the portal's calls all count).
struct UpstreamMetrics: Sendable {
    enum Failure: String, CaseIterable {
        case timeout, notJSON = "not_json", tooLarge = "too_large", connection
    }

    private let durations: Timer
    private let failures: [Failure: Counter]
    private let up: Gauge

    init(region: RegionName, factory: any MetricsFactory) {
        let region = ("region", region.rawValue)
        durations = Timer(
            label: "tokend_upstream_duration_seconds", dimensions: [region], preferredDisplayUnit: .seconds, factory: factory)
        failures = Dictionary(
            uniqueKeysWithValues: Failure.allCases.map { failure in
                (
                    failure,
                    Counter(label: "tokend_upstream_errors_total", dimensions: [region, ("error", failure.rawValue)], factory: factory)
                )
            })
        up = Gauge(label: "tokend_upstream_up", dimensions: [region], factory: factory)
    }

    func answered(in duration: Duration) {
        durations.record(duration: duration)
        up.record(1)
    }

    func failed(_ failure: Failure, after duration: Duration) {
        durations.record(duration: duration)
        failures[failure]?.increment()
        up.record(0)
    }
}
