import Logging

/// How one of tokend's log lines is written: `--log-format text` or `json`.
package protocol LogLineFormat: Sendable {
    /// The whole line, newline included, for an event and the metadata in force (the
    /// logger's, its provider's and the event's own, merged in that order).
    static func line(_ event: LogEvent, label: String, fields: Logger.Metadata) -> [UInt8]
}

/// tokend's swift-log handler: one line per event in `Format`, written whole by
/// `LogLineOutput`. Metadata is merged and rendered when a line is logged, never when it is
/// set: swift-log's `StreamLogHandler` renders on every set, and Hummingbird sets
/// `hb.request.id` on every request's logger, which took 2.9 % of a verify's CPU logged or not
/// (0.9 % with this handler; perf, cpu-clock, 2026-12-02, BENCHMARKS.md).
package struct LineLogHandler<Format: LogLineFormat>: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: LogLineOutput

    /// `write`: where each finished line goes (standard error unless a test says otherwise).
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
        let provided = metadataProvider?.get()
        // Room for every layer first: merging into a copy of the logger's dictionary copied
        // it, then grew it again (1.7 % of a list of 2's CPU, perf 2026-12-02).
        var fields = Logger.Metadata(minimumCapacity: metadata.count + (provided?.count ?? 0) + (event.metadata?.count ?? 0))
        for (key, value) in metadata { fields[key] = value }
        for (key, value) in provided ?? [:] { fields[key] = value }
        for (key, value) in event.metadata ?? [:] { fields[key] = value }
        output.write(Format.line(event, label: label, fields: fields))
    }
}

package typealias TextLogHandler = LineLogHandler<TextLogLine>
package typealias JSONLogHandler = LineLogHandler<JSONLogLine>
