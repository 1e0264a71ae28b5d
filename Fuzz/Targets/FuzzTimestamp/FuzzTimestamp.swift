import TokendCore
import TokendFuzzSupport

/// RFC 3339 as `expires_at` and the clock's `time` give it, and the writer it must agree with.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    checkParsing(input.text)
    // The input's first eight bytes as a time, folded into the years 0000 to 9999 that
    // RFC 3339 can write: every such time is written, then read back as itself.
    if input.bytes.count >= 8 {
        let raw = input.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let span = UInt64(lastMicrosecond - firstMicrosecond + 1)
        checkWriting(Timestamp(microsecondsSinceEpoch: firstMicrosecond + Int64(raw % span)))
    }
    return 0
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
let firstMicrosecond: Int64 = -62_167_219_200 * 1_000_000
let lastMicrosecond: Int64 = 253_402_300_800 * 1_000_000 - 1

func checkParsing(_ text: String) {
    guard let time = Timestamp(rfc3339: text) else { return }
    invariant(
        (firstMicrosecond...lastMicrosecond).contains(time.microsecondsSinceEpoch),
        "\(text) parses to \(time.microsecondsSinceEpoch) µs, outside the years RFC 3339 can write")
    checkWriting(time)
    // Read back to the second: the same time, its fraction dropped.
    let bytes = Array(text.utf8)
    if bytes.count == 20, bytes[19] == UInt8(ascii: "Z") || bytes[19] == UInt8(ascii: "z") {
        invariant(time.microsecondsSinceEpoch % 1_000_000 == 0, "\(text) has a fraction")
        invariant(time.rfc3339Seconds.uppercased() == text.uppercased(), "\(text) is written back as \(time.rfc3339Seconds)")
    }
}

func checkWriting(_ time: Timestamp) {
    let text = time.rfc3339
    invariant(text.utf8.count == 27, "\(time.microsecondsSinceEpoch) µs is written as \(text)")
    invariant(Timestamp(rfc3339: text) == time, "\(text) does not read back as \(time.microsecondsSinceEpoch) µs")
    let seconds = time.rfc3339Seconds
    let (whole, _) = time.microsecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
    let floor = time.microsecondsSinceEpoch < 0 && time.microsecondsSinceEpoch % 1_000_000 != 0 ? whole - 1 : whole
    invariant(Timestamp(rfc3339: seconds)?.microsecondsSinceEpoch == floor * 1_000_000, "\(seconds) is not \(text) to the second")
    invariant(time.month == String(text.prefix(7)), "the month of \(text) is \(time.month)")
}
