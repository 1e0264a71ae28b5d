/// Reading portal request bodies: a JSON object whose every field is known (a misspelt
/// field must not pass silently), and required strings.
package enum PortalBody {
    package static func object(_ body: JSONValue?, known: Set<String>) throws(TokendError) -> [String: JSONValue] {
        try TenantFields.object(body, known: known)
    }

    package static func optionalString(_ fields: [String: JSONValue], _ name: String) throws(TokendError) -> String? {
        try JSONField.string(fields[name], name)
    }

    package static func requiredString(_ fields: [String: JSONValue], _ name: String) throws(TokendError) -> String {
        guard let text = try JSONField.string(fields[name], name), !text.isEmpty else {
            throw .invalidArgument(name, .required, "\(name) is required")
        }
        guard text.utf8.count <= 1024, !text.unicodeScalars.contains(where: \.isControl) else {
            throw .invalidArgument(name, .constraint, "\(name) must be at most 1024 bytes, without control characters")
        }
        return text
    }
}

extension TenantActivityQuery {
    /// The kinds the portal's `type` filter names: its management events.
    package static let portalKinds: [ActivityKind] = ActivityKind.allCases.filter { $0 != .denied }

    /// Reads `type`, `tenant_id`, `q`, `limit` and `cursor` as a query string gives them.
    /// A tenant id that cannot be one matches nothing, like an unknown one.
    package static func parse(
        type: [String], tenant: [String], text: [String], limit: [String], cursor: [String], organization: OrganizationID
    ) throws(TokendError) -> TenantActivityQuery {
        var check = ArgumentCheck()
        let kind =
            check.attempt { () throws(TokendError) in
                try QueryArgument.single(type, "type").flatMap { name throws(TokendError) -> ActivityKind? in
                    if name.isEmpty { return nil }
                    guard let kind = ActivityKind(rawValue: name), kind != .denied else {
                        throw .invalidArgument(
                            "type", .constraint, "type must be one of " + portalKinds.map(\.rawValue).joined(separator: ", "))
                    }
                    return kind
                }
            } ?? nil
        let tenantText = check.attempt { () throws(TokendError) in try QueryArgument.single(tenant, "tenant_id") } ?? nil
        let freeText =
            check.attempt { () throws(TokendError) in
                try QueryArgument.single(text, "q").map { text throws(TokendError) in
                    guard text.unicodeScalars.count <= 200, !text.unicodeScalars.contains(where: \.isControl) else {
                        throw .invalidArgument("q", .constraint, "q must be at most 200 characters, without control characters")
                    }
                    return text
                }
            } ?? nil
        let limit =
            check.attempt { () throws(TokendError) in
                try QueryArgument.single(limit, "limit").map { text throws(TokendError) in
                    try QueryArgument.integer(text, "limit", in: limitRange, help: "limit must be a whole number from 1 to 200")
                }
            } ?? nil
        let cursor =
            check.attempt { () throws(TokendError) in
                try QueryArgument.single(cursor, "cursor").flatMap { text throws(TokendError) -> ActivityCursor? in
                    if text.isEmpty { return nil }
                    guard let cursor = ActivityCursor(text: text) else {
                        throw .invalidArgument("cursor", .format, "cursor must be a next_cursor this API answered")
                    }
                    return cursor
                }
            } ?? nil
        try check.finish()
        var query = TenantActivityQuery(
            organization: organization, kind: kind, text: freeText, limit: limit ?? defaultLimit, before: cursor)
        if let tenantText, !tenantText.isEmpty {
            // An id no tenant can have: the placeholder below matches no row.
            query.tenant = TenantID(tenantText) ?? TenantID("xs_none_00000000")!
        }
        return query
    }
}
