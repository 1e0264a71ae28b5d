/// Reading typed fields of a JSON object, naming the field when its type is wrong.
enum JSONField {
    static func string(_ value: JSONValue?, _ name: String) throws(TokendError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw .invalidArgument(name, .format, "\(name) must be a string, not \(other.typeName)")
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
