import TokendCore
import TokendFuzzSupport

/// `xag_<26 base-36 characters><6 base-36 checksum digits>`.
func checkXScalerKey(_ text: String) {
    let wellFormed = XScalerKeyFormat.isWellFormed(text)
    invariant(wellFormed == referenceXScalerKey(text), "XScalerKeyFormat.isWellFormed says \(wellFormed), the reference the opposite")
    invariant(XScalerKeyFormat.claims(text) == text.utf8.starts(with: "xag_".utf8), "claims disagrees with the xag_ prefix")
    guard wellFormed else { return }
    invariant(XScalerKeyFormat.displayPrefix(of: text) == String(text.prefix(8)), "the display prefix of a key")
    var bytes = Array(text.utf8)
    let position = 4 + Int(referenceCRC32(bytes) % 32)
    bytes[position] = bytes[position] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
    invariant(!XScalerKeyFormat.isWellFormed(String(decoding: bytes, as: UTF8.self)), "a one-character typo at \(position) still passes")
}

func referenceXScalerKey(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36, bytes.starts(with: Array("xag_".utf8)), bytes[4...].allSatisfy(xscalerAlphabet.contains) else { return false }
    return referenceChecksum(bytes.dropLast(6), alphabet: xscalerAlphabet) == Array(bytes.suffix(6))
}
