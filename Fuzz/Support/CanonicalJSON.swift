import TokendCore

extension JSONValue {
    /// The value written back as JSON text (keys sorted, strings escaped only where JSON
    /// requires): what "a value it accepts re-serialises to an equivalent value" reads back.
    package var canonicalText: [UInt8] {
        var text: [UInt8] = []
        write(into: &text)
        return text
    }

    private func write(into text: inout [UInt8]) {
        switch self {
        case .null: text += Array("null".utf8)
        case .bool(let flag): text += Array((flag ? "true" : "false").utf8)
        case .number(let number):
            invariant(number.isFinite, "a decoded JSON number is not finite: \(number)")
            text += Array("\(number)".utf8)
        case .string(let string): Self.write(string, into: &text)
        case .array(let items):
            text.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { text.append(UInt8(ascii: ",")) }
                item.write(into: &text)
            }
            text.append(UInt8(ascii: "]"))
        case .object(let fields):
            text.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { text.append(UInt8(ascii: ",")) }
                Self.write(key, into: &text)
                text.append(UInt8(ascii: ":"))
                fields[key]!.write(into: &text)
            }
            text.append(UInt8(ascii: "}"))
        }
    }

    private static func write(_ string: String, into text: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        text.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): text += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: text += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: text.append(byte)
            }
        }
        text.append(UInt8(ascii: "\""))
    }

    /// How deep the value nests: a scalar is 0, `[]` and `{}` are 1.
    package var depth: Int {
        switch self {
        case .array(let items): 1 + (items.map(\.depth).max() ?? 0)
        case .object(let fields): 1 + (fields.values.map(\.depth).max() ?? 0)
        default: 0
        }
    }
}
