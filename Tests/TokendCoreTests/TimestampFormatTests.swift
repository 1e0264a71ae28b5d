import Foundation
import Testing
import TokendCore

/// Timestamps are written by arithmetic, not by the C library: the two must agree on every day.
@Suite struct TimestampFormatTests {
    /// What `gmtime_r` says of the same instant, in the same 27-byte layout.
    func libcRFC3339(_ microseconds: Int64) -> String {
        var seconds = microseconds / 1_000_000
        var micros = microseconds % 1_000_000
        if micros < 0 {
            seconds -= 1
            micros += 1_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(micros))
    }

    @Test func daysFromYear1To9999MatchTheCLibrary() {
        // 0001-01-01 to 9999-12-31, every 11th day (every day of the month and of the 400-year
        // cycle comes round), each at a different time of day.
        let first: Int64 = -62_135_596_800
        let last: Int64 = 253_402_300_799
        var seconds = first
        var step: Int64 = 0
        while seconds <= last {
            let microseconds = seconds * 1_000_000 + (step * 7_919_011) % 86_400_000_000
            let written = Timestamp(microsecondsSinceEpoch: microseconds).rfc3339
            if written != libcRFC3339(microseconds) {
                Issue.record("\(microseconds): \(written) ≠ \(libcRFC3339(microseconds))")
                return
            }
            seconds += 11 * 86_400
            step += 1
        }
    }

    @Test func edgesOfDaysYearsAndTheEpoch() {
        for microseconds: Int64 in [
            0, -1, 1, 86_399_999_999, 86_400_000_000, 951_782_400_000_000,  // 2000-02-29
            -2_203_891_200_000_000,  // 1900-03-01
            -62_135_596_800_000_000, 253_402_300_799_999_999,
        ] {
            #expect(Timestamp(microsecondsSinceEpoch: microseconds).rfc3339 == libcRFC3339(microseconds))
        }
        #expect(Timestamp(microsecondsSinceEpoch: 951_782_400_000_001).rfc3339 == "2000-02-29T00:00:00.000001Z")
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 30)
        bytes.withUnsafeMutableBufferPointer { Timestamp(microsecondsSinceEpoch: -1).writeRFC3339(into: $0) }
        #expect(String(decoding: bytes, as: UTF8.self) == "1969-12-31T23:59:59.999999Zxxx")
    }
}
