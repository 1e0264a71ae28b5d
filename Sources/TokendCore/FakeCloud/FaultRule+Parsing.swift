/// Reading a `POST /_tokend/faults` body:
///
///     {"region": "fr-par", "dialect": "cockpit", "operation": "create",
///      "effect": "status", "status": 503, "probability": 1, "count": 1}
///     {"effect": "delay", "delay_ms": 250}      {"effect": "drop", "operation": "verify"}
extension FaultRule {
    /// What `POST /_tokend/faults` asks for: a rule before it has an id.
    package struct Request: Sendable, Hashable {
        package let region: RegionName?
        package let dialect: RequestDialect?
        package let operation: String?
        package let effect: Effect
        package let probability: Double
        package let count: Int?
    }

    package static let statuses = [429, 500, 503]

    package static func parse(body: JSONValue?) throws(TokendError) -> Request {
        let fields = try PortalBody.object(
            body, known: ["region", "dialect", "operation", "effect", "status", "delay_ms", "probability", "count"])
        var check = ArgumentCheck()
        let region =
            check.attempt { () throws(TokendError) in
                try JSONField.string(fields["region"], "region").map { text throws(TokendError) in
                    guard let region = RegionName(text) else {
                        throw .invalidArgument("region", .format, "region must be \(RegionName.shapeDescription)")
                    }
                    return region
                }
            } ?? nil
        let dialect =
            check.attempt { () throws(TokendError) in
                try JSONField.string(fields["dialect"], "dialect").map { text throws(TokendError) in
                    guard let dialect = RequestDialect(rawValue: text), dialect != .tokend else {
                        throw .invalidArgument("dialect", .constraint, "dialect must be cockpit, xscaler or data_plane")
                    }
                    return dialect
                }
            } ?? nil
        let operation = check.attempt { () throws(TokendError) in try JSONField.string(fields["operation"], "operation") } ?? nil
        let effect = check.attempt { () throws(TokendError) in try parseEffect(fields) }
        let probability =
            check.attempt { () throws(TokendError) in
                switch fields["probability"] {
                case nil, .null?: return 1.0
                case .number(let value)? where (0...1).contains(value): return value
                default: throw .invalidArgument("probability", .constraint, "probability must be a number from 0 to 1")
                }
            } ?? 1
        let count =
            check.attempt { () throws(TokendError) in
                try JSONField.wholeNumber(
                    fields["count"], "count", in: 1...1_000_000_000, help: "count must be a whole number, 1 or more")
            } ?? nil
        try check.finish()
        return Request(region: region, dialect: dialect, operation: operation, effect: effect!, probability: probability, count: count)
    }

    private static func parseEffect(_ fields: [String: JSONValue]) throws(TokendError) -> Effect {
        let name = try JSONField.string(fields["effect"], "effect") ?? "status"
        switch name {
        case "status":
            let status =
                try JSONField.wholeNumber(fields["status"], "status", in: 100...599, help: "status must be 429, 500 or 503") ?? 503
            guard statuses.contains(status) else { throw .invalidArgument("status", .constraint, "status must be 429, 500 or 503") }
            return .status(status, retryAfterSeconds: status == 500 ? nil : 1)
        case "delay":
            guard
                let milliseconds = try JSONField.wholeNumber(
                    fields["delay_ms"], "delay_ms", in: 1...60_000, help: "delay_ms must be a whole number from 1 to 60000")
            else { throw .invalidArgument("delay_ms", .required, "a delay needs delay_ms") }
            return .delay(milliseconds: milliseconds)
        case "drop":
            return .drop
        default:
            throw .invalidArgument("effect", .constraint, "effect must be status, delay or drop")
        }
    }
}
