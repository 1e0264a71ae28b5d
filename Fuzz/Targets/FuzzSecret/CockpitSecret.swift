import TokendCore
import TokendFuzzSupport

/// `tkd_<hint>_<random><6 base62 checksum digits>`, 64 characters (or, issued before
/// 2026-12, 43 random characters whatever the hint).
func checkCockpitSecret(_ text: String) {
    let parsed = SecretFormat.parse(text)
    let expected = referenceCockpitRegion(text)
    invariant(
        parsed?.region == expected,
        "SecretFormat.parse read \(String(describing: parsed?.region)), the reference \(String(describing: expected))")
    guard let parsed else { return }
    invariant(SecretFormat.region(of: text) == parsed.region, "the routing hint disagrees with the parsed secret")
    let display = parsed.displayPrefix
    invariant(text.hasPrefix(display), "the display prefix \(display) is not the secret's")
    invariant(
        display.utf8.count == SecretFormat.prefix.utf8.count + parsed.region.secretHint.utf8.count + 1 + 8, "display prefix \(display)")
    // CRC-32 catches every change of one byte: no secret is one typo away from another.
    var bytes = Array(text.utf8)
    let position = Int(referenceCRC32(bytes) % UInt32(bytes.count))
    bytes[position] = bytes[position] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
    invariant(SecretFormat.parse(String(decoding: bytes, as: UTF8.self)) == nil, "a one-character typo at \(position) still parses")
}

/// The region a well-formed secret names, by the format's description alone.
func referenceCockpitRegion(_ text: String) -> RegionName? {
    let bytes = Array(text.utf8)
    guard bytes.starts(with: Array("tkd_".utf8)), let hintEnd = bytes[4...].firstIndex(of: UInt8(ascii: "_")) else { return nil }
    let hint = String(decoding: bytes[4..<hintEnd], as: UTF8.self)
    guard hint.utf8.count >= 4, let region = RegionName(hint.prefix(2) + "-" + hint.dropFirst(2)) else { return nil }
    let body = bytes[(hintEnd + 1)...]
    guard bytes.count == 64 || (bytes.count < 64 && body.count == 43 + 6), body.allSatisfy(cockpitAlphabet.contains) else { return nil }
    return referenceChecksum(bytes.dropLast(6), alphabet: cockpitAlphabet) == Array(bytes.suffix(6)) ? region : nil
}
