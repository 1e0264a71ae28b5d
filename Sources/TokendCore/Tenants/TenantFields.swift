/// A tenant's editable fields, validated: what create and PATCH bodies carry.
package enum TenantFields {
    package static let displayNameLength = 1...64
    package static let environmentMaximumLength = 32

    /// 1 to 64 characters, no control characters.
    static func displayName(_ value: JSONValue?) throws(TokendError) -> String? {
        guard let text = try JSONField.string(value, "display_name") else { return nil }
        guard displayNameLength.contains(text.unicodeScalars.count), !text.unicodeScalars.contains(where: \.isControl) else {
            throw .invalidArgument("display_name", .constraint, "display_name must be 1 to 64 characters, without control characters")
        }
        return text
    }

    /// A free-text tag of at most 32 characters (`prod`, `staging`, …); `""` is none.
    static func environment(_ value: JSONValue?) throws(TokendError) -> String? {
        guard let text = try JSONField.string(value, "environment") else { return nil }
        guard text.unicodeScalars.count <= environmentMaximumLength, !text.unicodeScalars.contains(where: \.isControl) else {
            throw .invalidArgument("environment", .constraint, "environment must be at most 32 characters, without control characters")
        }
        return text
    }

    /// Fields of a body, refusing any not in `known`: a misspelt field must not pass silently.
    static func object(_ body: JSONValue?, known: Set<String>) throws(TokendError) -> [String: JSONValue] {
        guard let body else { return [:] }
        guard case .object(let fields) = body else {
            throw .invalidArgument("body", .format, "the request body must be a JSON object, not \(body.typeName)")
        }
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            let expected = known.isEmpty ? "this request takes no fields" : "known: " + known.sorted().joined(separator: ", ")
            // A field named "" is the body's problem: an empty argument_name would name nothing.
            throw .invalidArgument(unknown.isEmpty ? "body" : unknown, .unknown, "unknown field '\(unknown.prefix(64))'; \(expected)")
        }
        return fields
    }
}

/// A validated `POST /tenants` body: `{display_name?, environment?, region?}`.
package struct NewTenant: Sendable, Hashable {
    package let displayName: String?
    package let environment: String
    /// The region asked for, by name; nil: the front door's default.
    package let region: String?

    package init(displayName: String? = nil, environment: String = "", region: String? = nil) {
        self.displayName = displayName
        self.environment = environment
        self.region = region
    }

    package static func parse(body: JSONValue?) throws(TokendError) -> NewTenant {
        let fields = try TenantFields.object(body, known: ["display_name", "environment", "region"])
        var check = ArgumentCheck()
        let displayName = check.attempt { () throws(TokendError) in try TenantFields.displayName(fields["display_name"]) } ?? nil
        let environment = check.attempt { () throws(TokendError) in try TenantFields.environment(fields["environment"]) } ?? nil
        let region = check.attempt { () throws(TokendError) in try JSONField.string(fields["region"], "region") } ?? nil
        try check.finish()
        return NewTenant(displayName: displayName, environment: environment ?? "", region: region)
    }
}

/// A validated `PATCH /tenants/{id}` body: omitted fields stay; `""` clears the
/// environment and is refused for the display name.
package struct TenantChange: Sendable, Hashable {
    package let displayName: String?
    package let environment: String?

    package init(displayName: String? = nil, environment: String? = nil) {
        self.displayName = displayName
        self.environment = environment
    }

    package static func parse(body: JSONValue?) throws(TokendError) -> TenantChange {
        let fields = try TenantFields.object(body, known: ["display_name", "environment"])
        var check = ArgumentCheck()
        let displayName = check.attempt { () throws(TokendError) in try TenantFields.displayName(fields["display_name"]) } ?? nil
        let environment = check.attempt { () throws(TokendError) in try TenantFields.environment(fields["environment"]) } ?? nil
        try check.finish()
        return TenantChange(displayName: displayName, environment: environment)
    }

    /// The tenant with the change applied, and the fields it changed (name → before, after).
    func applied(to tenant: Tenant) -> (tenant: Tenant, changes: [(field: String, before: String, after: String)]) {
        var changed = tenant
        var changes: [(String, String, String)] = []
        if let displayName, displayName != tenant.displayName {
            changes.append(("display_name", tenant.displayName, displayName))
            changed.displayName = displayName
        }
        if let environment, environment != tenant.environment {
            changes.append(("environment", tenant.environment, environment))
            changed.environment = environment
        }
        return (changed, changes)
    }
}
