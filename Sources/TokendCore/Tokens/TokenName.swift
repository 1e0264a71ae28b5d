/// A token's name: 3 to 50 characters of `[A-Za-z0-9_-]`.
public struct TokenName: Sendable, Hashable, CustomStringConvertible {
    public static let lengthRange = 3...50
    public let rawValue: String

    public init?(_ text: String) {
        let bytes = text.utf8
        guard Self.lengthRange.contains(bytes.count),
              bytes.allSatisfy({ $0.isLowercaseASCIILetter || $0.isUppercaseASCIILetter || $0.isASCIIDigit
                  || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return nil }
        self.rawValue = text
    }

    public init?(_ text: some StringProtocol) { self.init(String(text)) }

    public static func parse(_ text: String) throws(TokendError) -> TokenName {
        guard let name = TokenName(text) else {
            throw .invalidArgument("name", .constraint,
                                   "name must be 3 to 50 characters of letters, digits, '_' or '-'")
        }
        return name
    }

    /// The name given to a token created without one: `token-` and eight random characters.
    public static func generated() -> TokenName {
        let suffix = SecureRandom.characters(8, from: Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8))
        return TokenName("token-" + String(decoding: suffix, as: UTF8.self))!
    }

    public var description: String { rawValue }
}
