/// A validated create request.
package struct CreateTokenRequest: Sendable, Hashable {
    package let projectID: ProjectID
    package let name: TokenName?
    package let scopes: TokenScopes
    /// Extension: when the token stops verifying. Must lie in the future at create.
    package let expiresAt: Timestamp?

    package init(projectID: ProjectID, name: TokenName?, scopes: TokenScopes, expiresAt: Timestamp? = nil) {
        self.projectID = projectID
        self.name = name
        self.scopes = scopes
        self.expiresAt = expiresAt
    }

    /// Validates a create body: `{"project_id": uuid, "name": string?, "token_scopes": [scope],
    /// "expires_at": RFC 3339?}`.
    /// Unknown fields are ignored; `null` counts as absent; every problem is reported at once.
    package static func parse(body: JSONValue) throws(TokendError) -> CreateTokenRequest {
        guard case .object(let fields) = body else {
            throw .invalidArgument("body", .format, "the request body must be a JSON object, not \(body.typeName)")
        }
        var check = ArgumentCheck()
        let projectID = check.attempt { () throws(TokendError) in
            try ProjectID.parse(try JSONField.string(fields["project_id"], "project_id"), argument: "project_id")
        }
        let name =
            check.attempt { () throws(TokendError) in
                try JSONField.string(fields["name"], "name").map { text throws(TokendError) in try TokenName.parse(text) }
            } ?? nil
        let scopes = check.attempt { () throws(TokendError) in
            try TokenScopes.parse(try JSONField.strings(fields["token_scopes"], "token_scopes"), argument: "token_scopes", requireOne: true)
        }
        let expiresAt = check.attempt { () throws(TokendError) in try JSONField.timestamp(fields["expires_at"], "expires_at") } ?? nil
        try check.finish()
        return CreateTokenRequest(projectID: projectID!, name: name, scopes: scopes!, expiresAt: expiresAt)
    }
}
