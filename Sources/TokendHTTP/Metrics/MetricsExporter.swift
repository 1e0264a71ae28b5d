import Metrics
import Prometheus

/// Where a server's measurements go and how `/metrics` reads them: swift-metrics' handlers
/// (`factory`, handed to every region's store, verifier and upstream client) kept in one
/// swift-prometheus registry per server, not the process-wide `MetricsSystem`, so every
/// application (the tests start hundreds in one process) counts on its own.
package final class MetricsExporter: Sendable {
    private let registry = PrometheusCollectorRegistry()
    package let factory: PrometheusMetricsFactory
    private let process: ProcessMetrics

    package init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // The library's default buckets start at 5 ms, where a verify or a get (tens of
        // microseconds) would all fall in the first one.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2_500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
        ]
        // Writes sharing one commit: 1 when idle, up to the number of waiting clients under load.
        factory.valueHistogramBuckets["tokend_store_commit_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        self.factory = factory
        process = ProcessMetrics(factory: factory)
    }

    /// The Prometheus text exposition of everything recorded so far.
    package func render() -> [UInt8] {
        process.refresh()
        return registry.emitToBuffer()
    }
}
