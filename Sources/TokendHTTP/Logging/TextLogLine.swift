import Logging
import TokendCore

/// `--log-format text` (the default): swift-log's `StreamLogHandler` line,
/// `<time> <level> <label>: <key=value …> [<source>] <message>`, the metadata in key order
/// and an event's error as `error.message` and `error.type`, as that handler writes them.
package enum TextLogLine: LogLineFormat {
    package static func line(_ event: LogEvent, label: String, fields: Logger.Metadata) -> [UInt8] {
        var fields = fields
        if let error = event.error {
            fields["error.message"] = "\(error)"
            fields["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let rendered = fields.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        return Array("\(Timestamp.now().rfc3339Seconds) \(event.level) \(label):\(rendered) [\(event.source)] \(event.message)\n".utf8)
    }
}
