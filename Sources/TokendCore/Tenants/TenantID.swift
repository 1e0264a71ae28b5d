/// An xScaler tenant id: `xs_`, the organisation's slug, `_`, and 8 characters. Generated
/// ones draw the 8 from RFC 4648's lower-case base32 alphabet (`a-z2-7`, 40 bits); parsing
/// accepts any `[a-z0-9]`, as the published examples mix alphabets.
package struct TenantID: Sendable, Hashable, Comparable, CustomStringConvertible {
    package static let prefix = "xs_"
    static let suffixLength = 8
    /// Long enough for every generated id (3 + 20 + 1 + 8) with room for configured slugs.
    static let maximumLength = 64
    private static let base32 = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    package let rawValue: String

    package init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maximumLength, text.hasPrefix(Self.prefix),
            let separator = bytes.lastIndex(of: UInt8(ascii: "_")), separator > Self.prefix.utf8.count,
            bytes.count - separator - 1 == Self.suffixLength,
            bytes[Self.prefix.utf8.count...].allSatisfy({ $0.isLowercaseASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "_") }),
            !bytes[Self.prefix.utf8.count..<separator].contains(UInt8(ascii: "_"))
        else { return nil }
        self.rawValue = String(text)
    }

    /// A new id in the organisation of `slug`; the caller retries on the rare collision.
    package static func generate(in slug: OrganizationSlug) -> TenantID {
        let suffix = String(decoding: SecureRandom.characters(suffixLength, from: base32), as: UTF8.self)
        return TenantID(prefix + slug.rawValue + "_" + suffix)!
    }

    /// Parses a tenant id of a path; a malformed one is "not found", like an unknown one.
    package static func parse(_ text: String) throws(TokendError) -> TenantID {
        guard let id = TenantID(text) else { throw .notFound(resource: "tenant", resourceID: String(text.prefix(64))) }
        return id
    }

    package var description: String { rawValue }
    package static func < (lhs: TenantID, rhs: TenantID) -> Bool { lhs.rawValue < rhs.rawValue }
}
