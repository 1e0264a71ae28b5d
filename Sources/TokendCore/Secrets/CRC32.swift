/// CRC-32 (IEEE 802.3, the zlib one): the checksum at the end of every secret, so that a
/// mistyped or truncated secret is refused without touching the store.
///
/// Not kept for speed: zlib's `crc32` is a little faster (114 against 127 ns for a 58-byte
/// secret, measured 2026-12-01), but would bring a system library target and a -dev package
/// to the build for 13 ns on a path whose HMAC costs far more. Kept for having no dependency.
package enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    package static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }

    /// The checksum as `count` digits of `alphabet`, most significant first (modulo
    /// alphabet.count^count when that is less than 2³²): how secrets carry it.
    static func digits(of bytes: some Sequence<UInt8>, count: Int, alphabet: [UInt8]) -> [UInt8] {
        var value = UInt64(checksum(bytes))
        var digits = [UInt8](repeating: alphabet[0], count: count)
        for index in stride(from: count - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % UInt64(alphabet.count))]
            value /= UInt64(alphabet.count)
        }
        return digits
    }
}
