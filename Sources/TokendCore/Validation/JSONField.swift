/// Reading typed fields of a JSON object, naming the field when its type is wrong.
enum JSONField {
    static func string(_ value: JSONValue?, _ name: String) throws(TokendError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw .invalidArgument(name, .format, "\(name) must be a string, not \(other.typeName)")
        }
    }

    /// An RFC 3339 time, like `expires_at` or the clock's `time`.
    static func timestamp(_ value: JSONValue?, _ name: String) throws(TokendError) -> Timestamp? {
        try string(value, name).map { text throws(TokendError) in
            guard let time = Timestamp(rfc3339: text) else {
                throw .invalidArgument(name, .format, "\(name) must be an RFC 3339 time like 2030-01-31T12:00:00Z")
            }
            return time
        }
    }

    /// A whole number within `range`: a fraction or another type is a `format` problem, a
    /// number outside the range a `constraint` one, both with the same `help`.
    static func wholeNumber(_ value: JSONValue?, _ name: String, in range: ClosedRange<Int>, help: String) throws(TokendError) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .number(let number)? where number.rounded() == number:
            guard number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
                throw .invalidArgument(name, .constraint, help)
            }
            return Int(number)
        default: throw .invalidArgument(name, .format, help)
        }
    }

    static func boolean(_ value: JSONValue?, _ name: String) throws(TokendError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw .invalidArgument(name, .format, "\(name) must be true or false, not \(other.typeName)")
        }
    }

    static func strings(_ value: JSONValue?, _ name: String) throws(TokendError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw .invalidArgument(name, .format, "\(name) must be an array of strings; found \(item.typeName)")
                }
                texts.append(text)
            }
            return texts
        case let other?: throw .invalidArgument(name, .format, "\(name) must be an array of strings, not \(other.typeName)")
        }
    }
}

extension Unicode.Scalar {
    /// C0 and C1 control characters (NUL, newlines, escape…): never part of a name.
    package var isControl: Bool { properties.generalCategory == .control }
}
