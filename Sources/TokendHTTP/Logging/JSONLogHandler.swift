import Logging
import Synchronization
import TokendCore

#if canImport(Glibc)
    import Glibc
#endif

/// `--log-format json`: one JSON object per line on standard error, for log shippers
/// (Loki, Vector, Fluent Bit): `time`, `level`, `message`, then the line's metadata as
/// fields (`request_id`, `dialect`, `region`, `route`, `status`, `duration_ms`, …), numbers
/// logged as numbers staying numbers. swift-log
/// ships only a text handler, and no JSON one is in the package mirror.
package struct JSONLogHandler: LogHandler {
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
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, provided in provided } }
        if let given = event.metadata { fields.merge(given) { _, given in given } }
        output.write(Self.line(event, label: label, fields: fields))
    }

    /// The line for one event: fixed keys first, then the metadata in key order, so two runs
    /// print the same line for the same event.
    static func line(_ event: LogEvent, label: String, fields: Logger.Metadata) -> [UInt8] {
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
                json.key(key)
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
                    json.key(key)
                    json.metadataValue(value)
                }
            }
        case .array(let values): array(values) { json, value in json.metadataValue(value) }
        }
    }
}
