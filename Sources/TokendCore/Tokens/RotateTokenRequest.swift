/// A rotate request: `{"grace_period_seconds": n}` (optional body): how long the old secret
/// keeps working beside the new one. 0, the default, ends it at once.
package struct RotateTokenRequest: Sendable, Hashable {
    package static let gracePeriodRange = 0...604_800
    package let gracePeriodSeconds: Int

    package init(gracePeriodSeconds: Int = 0) { self.gracePeriodSeconds = gracePeriodSeconds }

    package static func parse(body: JSONValue?) throws(TokendError) -> RotateTokenRequest {
        guard let body else { return RotateTokenRequest() }
        guard case .object(let fields) = body else {
            throw .invalidArgument("body", .format, "the request body must be a JSON object, not \(body.typeName)")
        }
        let seconds = try JSONField.wholeNumber(
            fields["grace_period_seconds"], "grace_period_seconds", in: gracePeriodRange,
            help: "grace_period_seconds must be a whole number from 0 to 604800 (7 days)")
        return RotateTokenRequest(gracePeriodSeconds: seconds ?? 0)
    }
}
