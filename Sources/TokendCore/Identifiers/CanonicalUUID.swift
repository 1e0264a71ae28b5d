/// A UUID, written as canonical lowercase text on the wire and in the stores, and held as its
/// 16 bytes. Project and token ids are UUIDs on the wire. Held as text, every id read back
/// was a heap string (a page of 100 tokens reads 200), allocated, retained with each copy of
/// its token and freed; as two integers it is none of that, and equality, hashing and order
/// are a word compare. The text is made where it is written (`writeCanonicalText(into:)`).
package struct CanonicalUUID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first and last eight bytes, most significant first: their order is the order of
    /// the canonical text, since lowercase hex digits sort as the nibbles they stand for.
    private let high: UInt64
    private let low: UInt64

    /// The canonical text's length; dashes stand at 8, 13, 18 and 23.
    package static let textLength = 36

    /// Accepts `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in either case.
    package init?(_ text: String) {
        var text = text
        guard let uuid = text.withUTF8({ CanonicalUUID(utf8: $0) }) else { return nil }
        self = uuid
    }

    package init?(_ text: some StringProtocol) { self.init(String(text)) }

    /// Parses the text's UTF-8 bytes where they stand (a store's column, a request's path).
    package init?(utf8: UnsafeBufferPointer<UInt8>) {
        guard utf8.count == Self.textLength, utf8[8] == UInt8(ascii: "-"), utf8[13] == UInt8(ascii: "-"),
            utf8[18] == UInt8(ascii: "-"), utf8[23] == UInt8(ascii: "-")
        else { return nil }
        let base = UnsafeRawPointer(utf8.baseAddress!)
        func bytes(_ offset: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        func halves(_ first: Int, _ second: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: first, as: UInt32.self)))
                | UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: second, as: UInt32.self))) << 32
        }
        guard let digits0 = Self.value(ofHexDigits: bytes(0)), let digits1 = Self.value(ofHexDigits: halves(9, 14)),
            let digits2 = Self.value(ofHexDigits: halves(19, 24)), let digits3 = Self.value(ofHexDigits: bytes(28))
        else { return nil }
        high = digits0 << 32 | digits1
        low = digits2 << 32 | digits3
    }

    /// The UUID of 16 bytes, first byte most significant.
    private init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a UUID is 16 bytes")
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A new random (version 4) UUID from the system's CSPRNG (from the seeded stream in
    /// deterministic mode).
    package static func random() -> CanonicalUUID {
        version4(SecureRandom.bytes(16))
    }

    /// A new random UUID from the kernel even in deterministic mode: a request id.
    package static func unseeded() -> CanonicalUUID {
        version4(SecureRandom.systemBytes(16))
    }

    private static func version4(_ bytes: [UInt8]) -> CanonicalUUID {
        var bytes = bytes
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        return withVariant(bytes)
    }

    /// A new time-ordered (version 7, RFC 9562) UUID: the millisecond of `time`, then 74
    /// random bits. Ids made one after another sort after each other, so the store appends
    /// to its id index instead of writing all over it.
    package static func timeOrdered(at time: Timestamp) -> CanonicalUUID {
        var bytes = SecureRandom.bytes(16)
        let milliseconds = UInt64(max(0, time.microsecondsSinceEpoch / 1_000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        return withVariant(bytes)
    }

    /// The UUID of 16 bytes with the RFC 9562 variant set.
    private static func withVariant(_ bytes: [UInt8]) -> CanonicalUUID {
        var bytes = bytes
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return CanonicalUUID(bytes: bytes)
    }

    /// The canonical lowercase text.
    package var rawValue: String {
        String(unsafeUninitializedCapacity: Self.textLength) { text in
            writeCanonicalText(into: text)
            return Self.textLength
        }
    }

    package var description: String { rawValue }

    package static func < (lhs: CanonicalUUID, rhs: CanonicalUUID) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }

    /// Writes the canonical text's 36 bytes into the start of `text`.
    package func writeCanonicalText(into text: UnsafeMutableBufferPointer<UInt8>) {
        precondition(text.count >= Self.textLength, "a UUID's text is 36 bytes")
        let base = UnsafeMutableRawPointer(text.baseAddress!)
        let (digits0, digits1) = (Self.hexDigits(of: high >> 32), Self.hexDigits(of: high))
        let (digits2, digits3) = (Self.hexDigits(of: low >> 32), Self.hexDigits(of: low))
        base.storeBytes(of: digits0.littleEndian, toByteOffset: 0, as: UInt64.self)
        base.storeBytes(of: UInt32(truncatingIfNeeded: digits1).littleEndian, toByteOffset: 9, as: UInt32.self)
        base.storeBytes(of: UInt32(truncatingIfNeeded: digits1 >> 32).littleEndian, toByteOffset: 14, as: UInt32.self)
        base.storeBytes(of: UInt32(truncatingIfNeeded: digits2).littleEndian, toByteOffset: 19, as: UInt32.self)
        base.storeBytes(of: UInt32(truncatingIfNeeded: digits2 >> 32).littleEndian, toByteOffset: 24, as: UInt32.self)
        base.storeBytes(of: digits3.littleEndian, toByteOffset: 28, as: UInt64.self)
        text[8] = UInt8(ascii: "-")
        text[13] = UInt8(ascii: "-")
        text[18] = UInt8(ascii: "-")
        text[23] = UInt8(ascii: "-")
    }

    // Eight hex digits at a time, as the bytes of one word (SWAR): parsed digit by digit, ids
    // took 4.15 % of a page of 100's CPU, this way 1.0 %, and writing them 0.46 % (perf,
    // 2026-12-04).
    // Words hold text in memory order: the first character in the lowest byte.

    private static let lowBits = UInt64(0x0101_0101_0101_0101)
    private static let highBits = UInt64(0x8080_8080_8080_8080)

    /// The value of eight hex digits of either case, or nil if any byte is not one.
    private static func value(ofHexDigits text: UInt64) -> UInt64? {
        // Each byte below 0x80 plus (0x80 - lo) has its high bit set exactly when it is >= lo,
        // and no carry crosses into the next byte.
        let isASCII = text & highBits == 0
        // Digits are looked for in the bytes as they are: lowered, 0x10 ... 0x19 would pass.
        let isDigit = (text &+ lowBits &* 0x50) & ~(text &+ lowBits &* 0x46) & highBits  // 0x30 ... 0x39
        let lowered = text | (lowBits &* 0x20)  // A-F to a-f; other bytes it moves are not letters below
        let isLetter = (lowered &+ lowBits &* 0x1F) & ~(lowered &+ lowBits &* 0x19) & highBits  // 0x61 ... 0x66
        guard isASCII, isDigit | isLetter == highBits else { return nil }
        // A digit's value is its low four bits; a letter's, those plus 9.
        var value = ((text & (lowBits &* 0x0F)) &+ (isLetter >> 7) &* 9).byteSwapped  // first digit highest
        value = (value | value >> 4) & 0x00FF_00FF_00FF_00FF
        value = (value | value >> 8) & 0x0000_FFFF_0000_FFFF
        return (value | value >> 16) & 0xFFFF_FFFF
    }

    /// The eight lowercase hex digits of the low 32 bits of `value`, most significant first.
    private static func hexDigits(of value: UInt64) -> UInt64 {
        var spread = value & 0xFFFF_FFFF
        spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF
        spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF
        spread = (spread | spread << 4) & 0x0F0F_0F0F_0F0F_0F0F  // the last digit in the lowest byte
        let isLetter = ((spread &+ lowBits &* 0x06) >> 4) & lowBits  // 10 ... 15
        return (spread &+ lowBits &* 0x30 &+ isLetter &* 0x27).byteSwapped  // "0" + d, or "a" + d - 10
    }
}
