import Crypto

extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte.
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// SHA-256 in hex, for ids derived from names (never for secrets: those are HMACed).
package enum SHA256Hex {
    package static func of(_ text: String) -> String { Array(SHA256.hash(data: Array(text.utf8))).hexString }
}
