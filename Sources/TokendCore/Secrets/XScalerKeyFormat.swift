/// The shape of an xScaler API key, as its portal documents it (`xag_` and 32 characters of
/// `[a-z0-9]`), with tokend's contents:
///
///     xag_<26 random base-36 characters><6 base-36 characters of CRC-32>
///
/// 26 characters drawn uniformly from 36 carry 134 bits from the system CSPRNG; the
/// checksum (the CRC-32 of everything before it, modulo 36⁶) refuses typos before any
/// lookup. A key names no region: verify finds its region by its tenant (`X-Scope-OrgID`).
package enum XScalerKeyFormat {
    package static let prefix = "xag_"
    static let length = 36
    static let checksumLength = 6
    /// The display prefix: the first 8 characters of the whole key, `xag_` included.
    static let displayPrefixLength = 8
    private static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    package static func generate() -> String {
        var bytes = Array(prefix.utf8)
        bytes.append(contentsOf: SecureRandom.characters(length - bytes.count - checksumLength, from: alphabet))
        bytes.append(contentsOf: checksumDigits(of: bytes))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether a presented secret is a well-formed key whose checksum matches.
    package static func isWellFormed(_ secret: some StringProtocol) -> Bool {
        let bytes = Array(secret.utf8)
        guard bytes.count == length, bytes.starts(with: prefix.utf8),
            bytes[prefix.utf8.count...].allSatisfy({ $0.isASCIIDigit || $0.isLowercaseASCIILetter })
        else { return false }
        return checksumDigits(of: bytes[..<(length - checksumLength)]).elementsEqual(bytes.suffix(checksumLength))
    }

    /// Whether a presented secret claims to be an xScaler key at all (what routes it). Its
    /// bytes, as `isWellFormed` reads them: the characters' `hasPrefix` said no to `xag_` and a
    /// combining mark, which joins the `_` into another character (found by FuzzSecret).
    package static func claims(_ secret: some StringProtocol) -> Bool { secret.utf8.starts(with: prefix.utf8) }

    package static func displayPrefix(of key: String) -> String { String(key.prefix(displayPrefixLength)) }

    private static func checksumDigits(of bytes: some Sequence<UInt8>) -> [UInt8] {
        CRC32.digits(of: bytes, count: checksumLength, alphabet: alphabet)
    }
}

/// Which face's secrets a token is issued: decided at create, kept by rotation.
package enum SecretStyle: Sendable, Hashable {
    /// `tkd_<region hint>_…`, 64 characters (`SecretFormat`).
    case cockpit
    /// `xag_…`, 36 characters (`XScalerKeyFormat`).
    case xscaler

    /// The style of a token's current secret, told by its display prefix.
    package init(displayPrefix: String) {
        self = displayPrefix.hasPrefix(XScalerKeyFormat.prefix) ? .xscaler : .cockpit
    }
}
