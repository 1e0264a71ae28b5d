import TokendCore
import TokendFuzzSupport

/// Secrets as presented (`tkd_…` and `xag_…`) and the CRC-32 behind their checksums, each
/// held to a second implementation written here from the format's description.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    invariant(CRC32.checksum(input.bytes) == referenceCRC32(input.bytes), "CRC32 disagrees with the bitwise CRC-32")
    let text = input.text
    checkCockpitSecret(text)
    checkXScalerKey(text)
    // The same text with its last six characters replaced by the right checksum, so that
    // well-formed secrets are reached as often as malformed ones.
    checkCockpitSecret(repaired(text, alphabet: cockpitAlphabet))
    checkXScalerKey(repaired(text, alphabet: xscalerAlphabet))
    return 0
}

let cockpitAlphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
let xscalerAlphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

/// CRC-32 (IEEE, reflected, 0xEDB88320) a bit at a time.
func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// The checksum of `bytes` as six digits of `alphabet`, most significant first.
func referenceChecksum(_ bytes: some Collection<UInt8>, alphabet: [UInt8]) -> [UInt8] {
    var value = UInt64(referenceCRC32(Array(bytes)))
    var digits: [UInt8] = []
    for _ in 0..<6 {
        digits.insert(alphabet[Int(value % UInt64(alphabet.count))], at: 0)
        value /= UInt64(alphabet.count)
    }
    return digits
}

func repaired(_ text: String, alphabet: [UInt8]) -> String {
    let bytes = Array(text.utf8)
    guard bytes.count > 6 else { return text }
    let body = bytes.dropLast(6)
    return String(decoding: body + referenceChecksum(body, alphabet: alphabet), as: UTF8.self)
}
