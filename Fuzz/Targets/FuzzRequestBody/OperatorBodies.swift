import TokendCore
import TokendFuzzSupport

/// The fake cloud's fault rules and the test clock's changes.
func checkOperatorBodies(_ body: JSONValue?) {
    checkBody(
        "fault rule", body, parse: { body throws(TokendError) in try FaultRule.parse(body: body) },
        written: { rule in
            var fields: [String: JSONValue?] = [
                "region": rule.region.map { .string($0.rawValue) }, "dialect": rule.dialect.map { .string($0.rawValue) },
                "operation": rule.operation.map(JSONValue.string), "probability": .number(rule.probability),
                "count": rule.count.map { .number(Double($0)) },
            ]
            switch rule.effect {
            case .status(let status, _): (fields["effect"], fields["status"]) = (.string("status"), .number(Double(status)))
            case .delay(let milliseconds): (fields["effect"], fields["delay_ms"]) = (.string("delay"), .number(Double(milliseconds)))
            case .drop: fields["effect"] = .string("drop")
            }
            return object(fields)
        },
        accepted: { rule in
            invariant((0...1).contains(rule.probability), "a fault rule with probability \(rule.probability)")
            invariant(rule.dialect != .tokend, "a fault rule on tokend's own endpoints")
        })
    if let body {
        checkBody(
            "clock change", body, parse: { body throws(TokendError) in try ClockChange.parse(body: body!) },
            written: { change in
                object([
                    "reset": .bool(change.reset), "frozen": change.frozen.map(JSONValue.bool),
                    "time": change.time.map { .string($0.rfc3339) },
                    "advance_seconds": change.advanceSeconds.map { .number(Double($0)) },
                ])
            })
    }
}
