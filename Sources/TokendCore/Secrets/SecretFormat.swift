/// The shape of a secret, documented in README.md and api-spec:
///
///     tkd_frpar_<48 random base62 characters><6 base62 characters of CRC-32>
///
/// - `tkd_` is fixed, so secret scanners can find leaked secrets.
/// - `frpar` is the region hint (`fr-par` without its dash): a front door routes a secret
///   to its region without asking every region.
/// - The random part fills the secret to exactly 64 characters, the public API's length:
///   53 less the hint's length, so 48 for `frpar` (285 bits) and never fewer than 43 (the
///   longest hint, 10 characters): 43 characters drawn uniformly from 62 carry 256.03 bits
///   from the system CSPRNG.
/// - The CRC-32 of everything before it, in 6 base62 digits, rejects typos before any lookup.
///
/// 64 characters of `[A-Za-z0-9_]`, URL-safe. Secrets issued before 2026-12 have 43 random
/// characters whatever their hint (59 characters for `fr-par`) and still verify.
package enum SecretFormat {
    package static let prefix = "tkd_"
    static let length = 64
    /// The random part of a secret issued before secrets were 64 characters.
    static let earlierRandomLength = 43
    static let checksumLength = 6
    /// Characters of the random part kept for display.
    static let displayedRandomLength = 8
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new secret for a token of `region`.
    package static func generate(region: RegionName) -> String {
        var bytes = Array((prefix + region.secretHint + "_").utf8)
        bytes.append(contentsOf: SecureRandom.characters(length - bytes.count - checksumLength, from: alphabet))
        bytes.append(contentsOf: checksumDigits(of: bytes))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What a well-formed secret says about itself, checked without any lookup.
    package struct Parsed: Sendable, Hashable {
        package let region: RegionName
        private let bytes: [UInt8]
        private let hintEnd: Int

        fileprivate init(region: RegionName, bytes: [UInt8], hintEnd: Int) {
            self.region = region
            self.bytes = bytes
            self.hintEnd = hintEnd
        }

        /// The part shown to people: fixed prefix, hint, and the first random characters.
        package var displayPrefix: String {
            String(decoding: bytes[..<(hintEnd + 1 + displayedRandomLength)], as: UTF8.self)
        }
    }

    /// Parses a secret, or nil when it is malformed or its checksum does not match.
    package static func parse(_ secret: some StringProtocol) -> Parsed? {
        let bytes = Array(secret.utf8)
        guard let (region, hintEnd) = hint(in: bytes) else { return nil }
        let body = bytes[(hintEnd + 1)...]
        guard bytes.count == length || body.count == earlierRandomLength + checksumLength,
            body.allSatisfy({ $0.isASCIIDigit || $0.isUppercaseASCIILetter || $0.isLowercaseASCIILetter }),
            checksumDigits(of: bytes[..<(bytes.count - checksumLength)]).elementsEqual(bytes.suffix(checksumLength))
        else { return nil }
        return Parsed(region: region, bytes: bytes, hintEnd: hintEnd)
    }

    /// The region a secret names, read from its hint alone: enough to route it to the one
    /// region that then checks it whole (checksum included), so it is checked once.
    package static func region(of secret: some StringProtocol) -> RegionName? {
        hint(in: Array(secret.utf8))?.region
    }

    private static func hint(in bytes: [UInt8]) -> (region: RegionName, end: Int)? {
        let prefixBytes = prefix.utf8
        guard bytes.count <= length, bytes.starts(with: prefixBytes),
            let hintEnd = bytes[prefixBytes.count...].firstIndex(of: UInt8(ascii: "_")),
            let region = RegionName(secretHint: String(decoding: bytes[prefixBytes.count..<hintEnd], as: UTF8.self))
        else { return nil }
        return (region, hintEnd)
    }

    private static func checksumDigits(of bytes: some Sequence<UInt8>) -> [UInt8] {
        CRC32.digits(of: bytes, count: checksumLength, alphabet: alphabet)
    }
}
