import TokendCore
import TokendFuzzSupport

/// Cockpit's create and rotate bodies.
func checkTokenBodies(_ body: JSONValue?) {
    if let body {
        checkBody(
            "create", body, arguments: ["body", "project_id", "name", "token_scopes", "expires_at"],
            parse: { body throws(TokendError) in try CreateTokenRequest.parse(body: body!) },
            written: { request in
                object([
                    "project_id": .string(request.projectID.rawValue), "name": request.name.map { .string($0.rawValue) },
                    "token_scopes": .array(request.scopes.members.map { .string($0.rawValue) }),
                    "expires_at": request.expiresAt.map { .string($0.rfc3339) },
                ])
            },
            accepted: { request in
                invariant(!request.scopes.isEmpty, "create accepted no scope")
                invariant(request.name.map { TokenName($0.rawValue) != nil } ?? true, "create accepted the name \(request.name!)")
            })
    }
    checkBody(
        "rotate", body, arguments: ["body", "grace_period_seconds"],
        parse: { body throws(TokendError) in try RotateTokenRequest.parse(body: body) },
        written: { request in object(["grace_period_seconds": .number(Double(request.gracePeriodSeconds))]) },
        accepted: { request in
            invariant(
                RotateTokenRequest.gracePeriodRange.contains(request.gracePeriodSeconds),
                "rotate accepted a grace period of \(request.gracePeriodSeconds) s")
        })
}
