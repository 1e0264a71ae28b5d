import Logging
import TokendCore

/// `--log-format json`: one JSON object per line, for log shippers (Loki, Vector, Fluent
/// Bit): `time`, `level`, `logger`, `message`, an event's `error` and `error_type`, then the
/// metadata as fields (`request_id`, `dialect`, `region`, `route`, `status`, `duration_ms`, …),
/// numbers staying numbers. swift-log ships only a text handler, and no JSON one is in the
/// package mirror.
package enum JSONLogLine: LogLineFormat {
    /// The line for one event: fixed keys first, then the metadata in key order, so two runs
    /// print the same line for the same event.
    package static func line(_ event: LogEvent, label: String, fields: Logger.Metadata) -> [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.field("time", Timestamp.now().rfc3339)
            json.field("level", event.level.rawValue)
            json.field("logger", label)
            json.field("message", event.message.description)
            if let error = event.error {
                json.field("error", "\(error)")
                json.field("error_type", "\(type(of: error))")
            }
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !Self.fixedKeys.contains(key) {
                json.key(named: key)
                json.metadataValue(value)
            }
        }
        return json.bytes + [UInt8(ascii: "\n")]
    }

    private static let fixedKeys: Set<String> = ["time", "level", "logger", "message", "error", "error_type"]
}

extension JSONWriter {
    /// A metadata value as JSON: strings and string-convertibles as strings, dictionaries
    /// and arrays as objects and arrays.
    fileprivate mutating func metadataValue(_ value: Logger.Metadata.Value) {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let whole as any BinaryInteger):
            if let fits = Int(exactly: whole) { integer(fits) } else { number(Double(whole)) }
        case .stringConvertible(let fraction as any BinaryFloatingPoint) where Double(fraction).isFinite: number(Double(fraction))
        case .stringConvertible(let flag as Bool): boolean(flag)
        case .stringConvertible(let convertible): string(convertible.description)
        case .dictionary(let dictionary):
            object { json in
                for (key, value) in dictionary.sorted(by: { $0.key < $1.key }) {
                    json.key(named: key)
                    json.metadataValue(value)
                }
            }
        case .array(let values): array(values) { json, value in json.metadataValue(value) }
        }
    }
}
