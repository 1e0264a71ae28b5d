import Logging
import TokendCore

/// `--log-format text` (the default): swift-log's `StreamLogHandler` line,
/// `<time> <level> <label>: <key=value …> [<source>] <message>`, with its metadata rendered
/// when a line is logged. `StreamLogHandler` renders it whenever it is set, and Hummingbird
/// sets `hb.request.id` on every request's logger: the setter took 2.9 % of a verify's CPU,
/// logged or not, and 0.9 % with this handler (perf, cpu-clock, 2026-12-02; BENCHMARKS.md).
package struct TextLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: LogLineOutput

    package init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = LogLineOutput(write: write)
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, provided in provided } }
        if let given = event.metadata { fields.merge(given) { _, given in given } }
        if let error = event.error {
            fields["error.message"] = "\(error)"
            fields["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let rendered = fields.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        let line = "\(Timestamp.now().rfc3339Seconds) \(event.level) \(label):\(rendered) [\(event.source)] \(event.message)\n"
        output.write(Array(line.utf8))
    }
}
