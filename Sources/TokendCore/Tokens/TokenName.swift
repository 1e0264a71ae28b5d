/// A token's name: 3 to 50 characters of `[A-Za-z0-9_-]`.
package struct TokenName: Sendable, Hashable, CustomStringConvertible {
    package static let lengthRange = 3...50
    package let rawValue: String

    package init?(_ text: String) {
        let bytes = text.utf8
        guard Self.lengthRange.contains(bytes.count),
            bytes.allSatisfy({
                $0.isLowercaseASCIILetter || $0.isUppercaseASCIILetter || $0.isASCIIDigit
                    || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            })
        else { return nil }
        self.rawValue = text
    }

    package init?(_ text: some StringProtocol) { self.init(String(text)) }

    package static func parse(_ text: String) throws(TokendError) -> TokenName {
        guard let name = TokenName(text) else {
            throw .invalidArgument(
                "name", .constraint,
                "name must be 3 to 50 characters of letters, digits, '_' or '-'")
        }
        return name
    }

    /// The name given to a token created without one: `token-` and eight random characters.
    package static func generated() -> TokenName {
        let suffix = SecureRandom.characters(8, from: Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8))
        return TokenName("token-" + String(decoding: suffix, as: UTF8.self))!
    }

    package var description: String { rawValue }
}
