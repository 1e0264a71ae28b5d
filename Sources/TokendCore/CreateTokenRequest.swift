/// A validated create request.
public struct CreateTokenRequest: Sendable, Hashable {
    public let projectID: ProjectID
    public let name: TokenName?
    public let scopes: TokenScopes

    public init(projectID: ProjectID, name: TokenName?, scopes: TokenScopes) {
        self.projectID = projectID
        self.name = name
        self.scopes = scopes
    }

    /// Validates a create body: `{"project_id": uuid, "name": string?, "token_scopes": [scope]}`.
    /// Unknown fields are ignored; `null` counts as absent; every problem is reported at once.
    public static func parse(body: JSONValue) throws(TokendError) -> CreateTokenRequest {
        guard case .object(let fields) = body else {
            throw .invalidArgument("body", .format, "the request body must be a JSON object, not \(body.typeName)")
        }
        var check = ArgumentCheck()
        let projectID = check.attempt { () throws(TokendError) in
            try ProjectID.parse(try string(fields["project_id"], "project_id"), argument: "project_id")
        }
        let name = check.attempt { () throws(TokendError) in
            try string(fields["name"], "name").map { text throws(TokendError) in try TokenName.parse(text) }
        } ?? nil
        let scopes = check.attempt { () throws(TokendError) in
            try TokenScopes.parse(try strings(fields["token_scopes"], "token_scopes"), argument: "token_scopes", requireOne: true)
        }
        try check.finish()
        return CreateTokenRequest(projectID: projectID!, name: name, scopes: scopes!)
    }

    private static func string(_ value: JSONValue?, _ name: String) throws(TokendError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw .invalidArgument(name, .format, "\(name) must be a string, not \(other.typeName)")
        }
    }

    private static func strings(_ value: JSONValue?, _ name: String) throws(TokendError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw .invalidArgument(name, .format, "\(name) must be an array of strings; found \(item.typeName)")
                }
                texts.append(text)
            }
            return texts
        case let other?: throw .invalidArgument(name, .format, "\(name) must be an array of strings, not \(other.typeName)")
        }
    }
}
