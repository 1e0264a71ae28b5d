/// A token's name: 3 to 50 characters of `[A-Za-z0-9_-]`.
package struct TokenName: Sendable, Hashable, CustomStringConvertible {
    package static let lengthRange = 3...50
    package let rawValue: String

    package init?(_ text: String) {
        // Over the string's own bytes where it has them (every name read from a store): a
        // page of 100 tokens checks 100 names, and walking the UTF-8 view byte by byte cost
        // 1.8 % of a durable page's CPU (perf, 2026-12-04).
        guard Self.lengthRange.contains(text.utf8.count),
            text.utf8.withContiguousStorageIfAvailable(Self.allAllowed) ?? Self.allAllowed(text.utf8)
        else { return nil }
        self.rawValue = text
    }

    private static func allAllowed(_ bytes: some Collection<UInt8>) -> Bool {
        for byte in bytes {
            guard
                byte.isLowercaseASCIILetter || byte.isUppercaseASCIILetter || byte.isASCIIDigit
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            else { return false }
        }
        return true
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
