/// A UUID in its canonical lowercase text form. Project and token ids are UUIDs on the wire.
package struct UUIDText: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let rawValue: String

    /// Accepts `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in either case; keeps it lowercase.
    /// Checked in place: an id already in canonical form (every id read back from a store)
    /// is kept without a copy. The four dashes are checked where they stand and the hex
    /// digits between them in runs: a page of 100 tokens reads 200 ids.
    package init?(_ text: String) {
        var text = text
        let verdict: Bool? = text.withUTF8 { utf8 in
            guard utf8.count == 36, utf8[8] == UInt8(ascii: "-"), utf8[13] == UInt8(ascii: "-"),
                utf8[18] == UInt8(ascii: "-"), utf8[23] == UInt8(ascii: "-")
            else { return nil }
            var hasUppercase = false
            func hexDigits(_ run: Range<Int>) -> Bool {
                for index in run {
                    let byte = utf8[index]
                    if byte &- UInt8(ascii: "0") < 10 || byte &- UInt8(ascii: "a") < 6 { continue }
                    guard byte &- UInt8(ascii: "A") < 6 else { return false }
                    hasUppercase = true
                }
                return true
            }
            guard hexDigits(0..<8), hexDigits(9..<13), hexDigits(14..<18), hexDigits(19..<23), hexDigits(24..<36) else {
                return nil
            }
            return hasUppercase
        }
        guard let hasUppercase = verdict else { return nil }
        self.rawValue = hasUppercase ? text.lowercased() : text
    }

    package init?(_ text: some StringProtocol) { self.init(String(text)) }

    /// A new random (version 4) UUID from the system's CSPRNG (from the seeded stream in
    /// deterministic mode).
    package static func random() -> UUIDText {
        version4(SecureRandom.bytes(16))
    }

    /// A new random UUID from the kernel even in deterministic mode: a request id.
    package static func unseeded() -> UUIDText {
        version4(SecureRandom.systemBytes(16))
    }

    private static func version4(_ bytes: [UInt8]) -> UUIDText {
        var bytes = bytes
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        return formatted(bytes)
    }

    /// A new time-ordered (version 7, RFC 9562) UUID: the millisecond of `time`, then 74
    /// random bits. Ids made one after another sort after each other, so the store appends
    /// to its id index instead of writing all over it.
    package static func timeOrdered(at time: Timestamp) -> UUIDText {
        var bytes = SecureRandom.bytes(16)
        let milliseconds = UInt64(max(0, time.microsecondsSinceEpoch / 1_000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        return formatted(bytes)
    }

    /// The canonical text of 16 bytes, with the RFC 9562 variant set.
    private static func formatted(_ bytes: [UInt8]) -> UUIDText {
        var bytes = bytes
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        var text = bytes.hexString
        for dash in [8, 13, 18, 23] {
            text.insert("-", at: text.index(text.startIndex, offsetBy: dash))
        }
        return UUIDText(text)!
    }

    package var description: String { rawValue }

    package static func < (lhs: UUIDText, rhs: UUIDText) -> Bool { lhs.rawValue < rhs.rawValue }
}
