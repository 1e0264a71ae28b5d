import TokendCore
import TokendFuzzSupport

/// The portal's bodies: tenants, tenant changes, keys, and the sign-in's email and password.
/// Unknown fields are refused by name, so a refusal may name any field.
func checkPortalBodies(_ body: JSONValue?) {
    checkBody(
        "new tenant", body, parse: { body throws(TokendError) in try NewTenant.parse(body: body) },
        written: { tenant in
            object([
                "display_name": tenant.displayName.map(JSONValue.string), "environment": .string(tenant.environment),
                "region": tenant.region.map(JSONValue.string),
            ])
        },
        accepted: { tenant in
            invariant(tenant.displayName.map { (1...64).contains($0.unicodeScalars.count) } ?? true, "a display name of another length")
            invariant(tenant.environment.unicodeScalars.count <= 32, "an environment of more than 32 characters")
        })
    if let body {
        checkBody(
            "tenant change", body, parse: { body throws(TokendError) in try TenantChange.parse(body: body) },
            written: { change in
                object(["display_name": change.displayName.map(JSONValue.string), "environment": change.environment.map(JSONValue.string)])
            })
    }
    checkBody(
        "new key", body, parse: { body throws(TokendError) in try NewKey.parse(body: body) },
        written: { key in object(["display_name": key.name.map { .string($0.rawValue) }, "scope": .string(key.scope.rawValue)]) })
    checkBody(
        "sign-in", body, parse: { body throws(TokendError) in try SignIn.parse(body) },
        written: { signIn in object(["email": .string(signIn.email), "password": .string(signIn.password)]) },
        accepted: { signIn in
            for text in [signIn.email, signIn.password] {
                invariant(!text.isEmpty && text.utf8.count <= 1024, "a required string of \(text.utf8.count) bytes")
                invariant(!text.unicodeScalars.contains(where: \.isControl), "a required string with a control character")
            }
        })
}

/// The sign-in body as the portal's controller reads it, through PortalBody.
private struct SignIn: Equatable {
    let email: String
    let password: String

    static func parse(_ body: JSONValue?) throws(TokendError) -> SignIn {
        let fields = try PortalBody.object(body, known: ["email", "password"])
        return SignIn(email: try PortalBody.requiredString(fields, "email"), password: try PortalBody.requiredString(fields, "password"))
    }
}
