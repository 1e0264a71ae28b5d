import Foundation

/// Checks a `--config` file's keys and the JSON type of each value before its values are
/// read. swift-configuration's JSON provider has no list of its keys (so it cannot refuse an
/// unknown one), and it reads `true` as the number 1 and any number as a boolean, so
/// `"port": true` would quietly mean port 1.
enum ConfigFileShape {
    /// The JSON type of one value, as JSON wrote it (a boolean is never a number here).
    enum ValueType: Decodable, Equatable {
        case boolean, integer, number, string, other

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if (try? value.decode(Bool.self)) != nil {
                self = .boolean
            } else if (try? value.decode(Int.self)) != nil {
                self = .integer
            } else if (try? value.decode(Double.self)) != nil {
                self = .number
            } else if (try? value.decode(String.self)) != nil {
                self = .string
            } else {
                self = .other
            }
        }
    }

    /// Throws, naming the file and the key, for a key that is no option's and for a value of
    /// the wrong type. Keys of another serving command (`region` in a file a gateway also
    /// reads) are known, and left for that command.
    static func check(_ data: Data, path: String, against options: [ServingOption]) throws {
        // JSONSerialization says where the JSON breaks; JSONDecoder only that it does.
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw ConfigurationError("config file \(path) is not valid JSON: \(detail)")
        }
        guard parsed is [String: Any], let values = try? JSONDecoder().decode([String: ValueType].self, from: data) else {
            throw ConfigurationError("config file \(path) must hold a JSON object of options by their long names")
        }
        let byName = Dictionary(uniqueKeysWithValues: options.map { ($0.name, $0) })
        for (key, type) in values.sorted(by: { $0.key < $1.key }) {
            guard let option = byName[key], option.isReadFromFile else {
                let known = options.filter(\.isReadFromFile).map(\.name).sorted().joined(separator: ", ")
                throw ConfigurationError("config file \(path): unknown key \"\(key)\"; the keys are \(known)")
            }
            guard accepts(option.kind, type) else {
                throw ConfigurationError("config file \(path): \"\(key)\" must be \(description(of: option.kind))")
            }
        }
    }

    private static func accepts(_ kind: ServingOption.Kind, _ type: ValueType) -> Bool {
        switch kind {
        case .text: type == .string
        case .integer: type == .integer
        case .decimal: type == .integer || type == .number
        case .flag, .invertibleFlag: type == .boolean
        }
    }

    static func description(of kind: ServingOption.Kind) -> String {
        switch kind {
        case .text: "a string"
        case .integer: "an integer"
        case .decimal: "a number"
        case .flag, .invertibleFlag: "true or false"
        }
    }
}
