#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time with microsecond precision: the precision the public API shows
/// and the unit the store keeps.
public struct Timestamp: Sendable, Hashable, Comparable {
    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// The wall clock, read without Foundation.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    /// RFC 3339 in UTC with exactly six fractional digits and a `Z`, as the public API sends:
    /// `2026-08-07T16:37:43.168927Z`.
    public var rfc3339: String {
        let (seconds, micros) = microsecondsSinceEpoch.floorDividedWithRemainder(by: 1_000_000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = ""
        text.reserveCapacity(27)
        text.appendPadded(Int(parts.tm_year) + 1900, width: 4)
        text.append("-")
        text.appendPadded(Int(parts.tm_mon) + 1, width: 2)
        text.append("-")
        text.appendPadded(Int(parts.tm_mday), width: 2)
        text.append("T")
        text.appendPadded(Int(parts.tm_hour), width: 2)
        text.append(":")
        text.appendPadded(Int(parts.tm_min), width: 2)
        text.append(":")
        text.appendPadded(Int(parts.tm_sec), width: 2)
        text.append(".")
        text.appendPadded(Int(micros), width: 6)
        text.append("Z")
        return text
    }
}

extension Int64 {
    /// Division that rounds toward negative infinity, so times before 1970 format correctly.
    fileprivate func floorDividedWithRemainder(by divisor: Int64) -> (Int64, Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

extension String {
    fileprivate mutating func appendPadded(_ value: Int, width: Int) {
        let digits = String(value)
        if digits.count < width { append(String(repeating: "0", count: width - digits.count)) }
        append(digits)
    }
}

/// Where the service reads the time. Tests give it a clock they control.
public protocol TimeSource: Sendable {
    func now() -> Timestamp
}

public struct SystemTimeSource: TimeSource {
    public init() {}
    public func now() -> Timestamp { .now() }
}
