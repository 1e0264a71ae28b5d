import Synchronization

/// A region's clock as a test suite sets it (`/_tokend/clock`, open mode only): the system's
/// time moved by an offset, or stopped at one instant. Everything a region times follows
/// it: timestamps, expiry, rotation grace periods, rate-limit buckets, idempotency windows
/// and last use. Servers in `keys` mode use the system clock itself.
package final class AdjustableClock: TimeSource {
    /// What the clock shows, and how it differs from the system's.
    package struct Reading: Sendable, Hashable {
        package let now: Timestamp
        package let offsetMicroseconds: Int64
        package let frozen: Bool

        package init(now: Timestamp, offsetMicroseconds: Int64, frozen: Bool) {
            self.now = now
            self.offsetMicroseconds = offsetMicroseconds
            self.frozen = frozen
        }
    }

    private struct State {
        var offsetMicroseconds: Int64 = 0
        var frozenAt: Timestamp?
    }

    private let state = Mutex(State())
    private let system: any TimeSource

    package init(system: any TimeSource = SystemTimeSource()) { self.system = system }

    package func now() -> Timestamp {
        state.withLock { Self.now(in: $0, system: system.now()) }
    }

    package var reading: Reading { state.withLock { Self.reading(of: $0, system: system.now()) } }

    /// What the clock may show: years 1 to 9999, the ones RFC 3339 can write.
    package static let range =
        Timestamp(
            microsecondsSinceEpoch: -62_135_596_800_000_000)...Timestamp(
            microsecondsSinceEpoch: 253_402_300_799_999_999)

    /// Applies a change in a fixed order (back to the system clock, stop or restart, set,
    /// advance), so one request can say "stop at this instant" or "restart, then skip an hour".
    /// A change that would take the clock outside `range` is refused and changes nothing.
    @discardableResult
    package func apply(_ change: ClockChange) throws(TokendError) -> Reading {
        try state.withLock { (state: inout State) throws(TokendError) -> Reading in
            let before = state
            let system = system.now()
            if change.reset { state = State() }
            switch change.frozen {
            case true?: state.frozenAt = state.frozenAt ?? Self.now(in: state, system: system)
            case false?:
                if let frozenAt = state.frozenAt {
                    state.offsetMicroseconds = frozenAt.microsecondsSinceEpoch - system.microsecondsSinceEpoch
                    state.frozenAt = nil
                }
            case nil: break
            }
            if let time = change.time {
                if state.frozenAt != nil {
                    state.frozenAt = time
                } else {
                    state.offsetMicroseconds = time.microsecondsSinceEpoch - system.microsecondsSinceEpoch
                }
            }
            if let seconds = change.advanceSeconds {
                if let frozenAt = state.frozenAt {
                    state.frozenAt = frozenAt.adding(seconds: seconds)
                } else {
                    state.offsetMicroseconds += Int64(seconds) * 1_000_000
                }
            }
            guard Self.range.contains(Self.now(in: state, system: system)) else {
                state = before
                throw .invalidArgument("body", .constraint, "the clock would leave the years 1 to 9999")
            }
            return Self.reading(of: state, system: system)
        }
    }

    private static func now(in state: State, system: Timestamp) -> Timestamp {
        state.frozenAt ?? Timestamp(microsecondsSinceEpoch: system.microsecondsSinceEpoch + state.offsetMicroseconds)
    }

    private static func reading(of state: State, system: Timestamp) -> Reading {
        let now = now(in: state, system: system)
        return Reading(
            now: now, offsetMicroseconds: now.microsecondsSinceEpoch - system.microsecondsSinceEpoch,
            frozen: state.frozenAt != nil)
    }
}

/// A change to the clocks: `{"reset": true}` back to the system's, `{"frozen": true|false}`
/// stop or restart, `{"time": "<RFC 3339>"}` set, `{"advance_seconds": n}` move on (n may be
/// negative). Fields combine; at least one is required.
package struct ClockChange: Sendable, Hashable {
    package static let advanceRange = -315_360_000...315_360_000  // ten years either way

    package var reset = false
    package var frozen: Bool?
    package var time: Timestamp?
    package var advanceSeconds: Int?

    package init(reset: Bool = false, frozen: Bool? = nil, time: Timestamp? = nil, advanceSeconds: Int? = nil) {
        self.reset = reset
        self.frozen = frozen
        self.time = time
        self.advanceSeconds = advanceSeconds
    }

    package static func parse(body: JSONValue) throws(TokendError) -> ClockChange {
        guard case .object(let fields) = body else {
            throw .invalidArgument("body", .format, "the request body must be a JSON object, not \(body.typeName)")
        }
        var check = ArgumentCheck()
        var change = ClockChange()
        change.reset = (check.attempt { () throws(TokendError) in try JSONField.boolean(fields["reset"], "reset") } ?? nil) ?? false
        change.frozen = check.attempt { () throws(TokendError) in try JSONField.boolean(fields["frozen"], "frozen") } ?? nil
        change.time = check.attempt { () throws(TokendError) in try JSONField.timestamp(fields["time"], "time") } ?? nil
        change.advanceSeconds =
            check.attempt { () throws(TokendError) in
                try JSONField.wholeNumber(
                    fields["advance_seconds"], "advance_seconds", in: advanceRange,
                    help: "advance_seconds must be a whole number of seconds within ten years either way")
            } ?? nil
        try check.finish()
        guard change.reset || change.frozen != nil || change.time != nil || change.advanceSeconds != nil else {
            throw .invalidArgument("body", .required, "name at least one of reset, frozen, time, advance_seconds")
        }
        return change
    }

}
