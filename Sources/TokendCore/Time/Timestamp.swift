#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point in time with microsecond precision: the precision the public API shows
/// and the unit the store keeps.
///
/// RFC 3339 is written and read by hand: Foundation cannot write six fractional digits (its
/// ISO 8601 styles stop at milliseconds), and here writing takes 82 ns against
/// `Date.ISO8601FormatStyle`'s 248 ns, parsing 295 ns against 803 ns (release build,
/// medians of 5; measured 2026-12-01).
package struct Timestamp: Sendable, Hashable, Comparable {
    package let microsecondsSinceEpoch: Int64

    package init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    package static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// The wall clock, to the microsecond (`clock_gettime`).
    package static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    /// RFC 3339 in UTC with exactly six fractional digits and a `Z`, as the public API sends:
    /// `2026-08-07T16:37:43.168927Z`.
    package var rfc3339: String { String(decoding: rfc3339Bytes, as: UTF8.self) }

    /// How many bytes `rfc3339` is: always 27.
    package static let rfc3339Length = 27

    /// The same, as its 27 ASCII bytes.
    package var rfc3339Bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.rfc3339Length) { text, initialized in
            writeRFC3339(into: text)
            initialized = Self.rfc3339Length
        }
    }

    /// Writes the 27 bytes of `rfc3339` into the start of `text`: the calendar date by
    /// arithmetic (Howard Hinnant's days-to-civil) rather than `gmtime_r`. Writing a page of
    /// 100 tokens' 200 timestamps took 4.5 % of the server's CPU, `gmtime_r`'s time zone
    /// conversion 1.9 % of it (perf, release build, 2026-12-02).
    package func writeRFC3339(into text: UnsafeMutableBufferPointer<UInt8>) {
        precondition(text.count >= Self.rfc3339Length, "an RFC 3339 timestamp is 27 bytes")
        let (seconds, micros) = microsecondsSinceEpoch.floorDividedWithRemainder(by: 1_000_000)
        let (days, secondOfDay) = seconds.floorDividedWithRemainder(by: 86_400)
        let shifted = days + 719_468  // days from 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func put(_ value: Int64, at start: Int, width: Int) {
            var value = Int(truncatingIfNeeded: value)
            for index in stride(from: start + width - 1, through: start, by: -1) {
                text[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        text[4] = UInt8(ascii: "-")
        put(month, at: 5, width: 2)
        text[7] = UInt8(ascii: "-")
        put(day, at: 8, width: 2)
        text[10] = UInt8(ascii: "T")
        put(secondOfDay / 3_600, at: 11, width: 2)
        text[13] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, at: 14, width: 2)
        text[16] = UInt8(ascii: ":")
        put(secondOfDay % 60, at: 17, width: 2)
        text[19] = UInt8(ascii: ".")
        put(micros, at: 20, width: 6)
        text[26] = UInt8(ascii: "Z")
    }
}

extension Timestamp {
    /// Parses RFC 3339 (`2026-08-07T16:37:43Z`, `…43.168927Z`, `…43+02:00`); nil otherwise.
    package init?(rfc3339 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ bytes[$0].isASCIIDigit }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(bytes[$1] - UInt8(ascii: "0")) }
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var micros = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index].isASCIIDigit { index += 1 }
            guard index > start else { return nil }
            let digits = bytes[start..<min(index, start + 6)].map { Int($0 - UInt8(ascii: "0")) }
            micros = digits.reduce(0) { $0 * 10 + $1 } * Int(pow10(6 - digits.count))
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)),
                hours < 24, minutes < 60
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        var local = Int64(timegm(&parts))
        // timegm rolls impossible dates over (Feb 31 → Mar 3): refuse those instead.
        var time = time_t(local)
        var check = tm()
        gmtime_r(&time, &check)
        guard Int(check.tm_mday) == day, Int(check.tm_mon) == month - 1, Int(check.tm_year) == year - 1900 else { return nil }
        local -= Int64(offsetSeconds)
        // Years before 0000 or past 9999 (in UTC) cannot be written back as RFC 3339: a
        // time like `0000-01-01T00:00:00+00:01` parsed, then trapped when written.
        guard (-62_167_219_200..<253_402_300_800).contains(local) else { return nil }
        self.init(microsecondsSinceEpoch: local * 1_000_000 + Int64(micros))
    }

    package func adding(seconds: Int) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64(seconds) * 1_000_000)
    }
}

private func pow10(_ exponent: Int) -> Int { (0..<exponent).reduce(1) { value, _ in value * 10 } }

extension Int64 {
    /// Division that rounds toward negative infinity, so times before 1970 format correctly.
    fileprivate func floorDividedWithRemainder(by divisor: Int64) -> (Int64, Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

/// Where the service reads the time. Tests give it a clock they control.
package protocol TimeSource: Sendable {
    func now() -> Timestamp
}

package struct SystemTimeSource: TimeSource {
    package init() {}
    package func now() -> Timestamp { .now() }
}

extension Timestamp {
    /// RFC 3339 in UTC to the second, as xScaler's portal sends: `2026-06-18T10:00:00Z`.
    package var rfc3339Seconds: String {
        let bytes = rfc3339Bytes
        return String(decoding: bytes[..<19] + [UInt8(ascii: "Z")], as: UTF8.self)
    }

    /// The calendar month in UTC, `2026-12`: what usage is counted by.
    package var month: String { String(decoding: rfc3339Bytes[..<7], as: UTF8.self) }
}
