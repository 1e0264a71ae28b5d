import Crypto

/// An xScaler organisation: `xs_org_` and 32 lowercase hex digits, a UUID without its
/// dashes (the reference's mapping: the same 128 bits as a Cockpit organization UUID).
package struct OrganizationID: Sendable, Hashable, Comparable, CustomStringConvertible {
    package static let prefix = "xs_org_"
    /// The 32 lowercase hex digits.
    package let hex: String

    /// Accepts `xs_org_` and 32 hex digits in either case; keeps them lowercase.
    package init?(_ text: some StringProtocol) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let digits = text.dropFirst(Self.prefix.count).lowercased()
        guard digits.utf8.count == 32, digits.utf8.allSatisfy({ $0.isASCIIDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        self.hex = digits
    }

    /// The id an organisation of this name has when none is configured: the same on every
    /// start and every server, so a gateway and its regions agree without sharing state.
    package static func derived(fromName name: String) -> OrganizationID {
        let digest = SHA256.hash(data: Array("tokend organisation:\(name)".utf8))
        return OrganizationID(Self.prefix + Array(digest.prefix(16)).hexString)!
    }

    package var rawValue: String { Self.prefix + hex }
    package var description: String { rawValue }
    package static func < (lhs: OrganizationID, rhs: OrganizationID) -> Bool { lhs.hex < rhs.hex }
}

/// The organisation's part of its tenants' ids: its display name lower-cased, every
/// character outside `[a-z0-9]` dropped, cut to 20, `org` if nothing is left. Fixed when the
/// organisation is made: a rename does not touch it.
package struct OrganizationSlug: Sendable, Hashable, CustomStringConvertible {
    package static let maximumLength = 20
    package let rawValue: String

    package init(displayName: String) {
        let kept = displayName.lowercased().unicodeScalars.filter { $0.isASCII && ($0.properties.isLowercase || ("0"..."9").contains($0)) }
        let slug = String(String.UnicodeScalarView(kept.prefix(Self.maximumLength)))
        self.rawValue = slug.isEmpty ? "org" : slug
    }

    package var description: String { rawValue }
}
