import TokendCore

extension JSONWriter {
    /// A Token in the public API's field order; extension fields follow the public ones.
    mutating func token(_ token: Token, secret: String? = nil) {
        object { json in
            json.field("id", token.id.rawValue)
            json.field("project_id", token.projectID.rawValue)
            json.field("name", token.name.rawValue)
            json.field("created_at", token.createdAt.rfc3339)
            json.field("updated_at", token.updatedAt.rfc3339)
            json.key("scopes")
            json.array(token.scopes.members) { json, scope in json.string(scope.rawValue) }
            json.field("secret_key", secret)
            json.field("region", token.region.rawValue)
            // Extensions (ignored by the official SDKs).
            json.field("secret_prefix", token.secretPrefix)
        }
    }

    mutating func tokenPage(_ page: TokenPage) {
        object { json in
            json.field("total_count", page.totalCount)
            json.key("tokens")
            json.array(page.tokens) { json, token in json.token(token) }
        }
    }
}
