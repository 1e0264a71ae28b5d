/// An xScaler API key: a token of its tenant's project, shown under its own id and with a
/// coarse scope. Revoked keys keep a row (`revokedAt`) that `GET` still shows.
package struct TenantKey: Sendable, Hashable {
    package let token: Token
    package let revokedAt: Timestamp?

    package init(token: Token, revokedAt: Timestamp? = nil) {
        self.token = token
        self.revokedAt = revokedAt
    }

    package var id: KeyID { KeyID(token.id) }
    package var status: String { revokedAt == nil ? "active" : "revoked" }
    /// Nil for a Cockpit token with neither read nor write scopes (only rules or alerts):
    /// xScaler has no name for it, so its lists leave it out.
    package var scope: KeyScope? { KeyScope(label: token.scopes) }
}

/// A key's id: `key_` and the 32 hex digits of its token's UUID, so a key and its Cockpit
/// token are one id (the reference proposes 12 random characters; one id for both faces
/// needs no second index).
package struct KeyID: Sendable, Hashable, CustomStringConvertible {
    package static let prefix = "key_"
    package let tokenID: TokenID

    package init(_ tokenID: TokenID) { self.tokenID = tokenID }

    /// Parses a key id of a path; anything else is "not found", like an unknown key.
    package static func parse(_ text: String) throws(TokendError) -> KeyID {
        let digits = text.dropFirst(prefix.count)
        // Hex digits are checked before the dashes go in: their positions count characters,
        // and 32 bytes of other characters are fewer than 32 (`key_` and 16 `é` trapped here).
        guard text.hasPrefix(prefix), digits.utf8.count == 32, digits.utf8.allSatisfy(\.isLowercaseHexDigit) else {
            throw .notFound(resource: "key", resourceID: String(text.prefix(64)))
        }
        var uuid = String(digits)
        for dash in [8, 13, 18, 23] { uuid.insert("-", at: uuid.index(uuid.startIndex, offsetBy: dash)) }
        guard let tokenID = TokenID(uuid), tokenID.rawValue == uuid else {
            throw .notFound(resource: "key", resourceID: String(text.prefix(64)))
        }
        return KeyID(tokenID)
    }

    package var rawValue: String { Self.prefix + tokenID.rawValue.filter { $0 != "-" } }
    package var description: String { rawValue }
}

extension UInt8 {
    fileprivate var isLowercaseHexDigit: Bool { isASCIIDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self) }
}

/// xScaler's three scopes, each a set of the core's fine scopes for all three signals.
package enum KeyScope: String, Sendable, Hashable, CaseIterable {
    case read
    case write
    case readWrite = "read+write"

    package var scopes: TokenScopes {
        switch self {
        case .read: TokenScopes([.readOnlyMetrics, .readOnlyLogs, .readOnlyTraces])
        case .write: TokenScopes([.writeOnlyMetrics, .writeOnlyLogs, .writeOnlyTraces])
        case .readWrite:
            TokenScopes([.readOnlyMetrics, .readOnlyLogs, .readOnlyTraces, .writeOnlyMetrics, .writeOnlyLogs, .writeOnlyTraces])
        }
    }

    /// How xScaler shows any token's scopes: `read+write` with any read-only and any
    /// write-only scope, else `read` or `write`; nil with neither.
    package init?(label scopes: TokenScopes) {
        let reads = !scopes.members.filter { $0.rawValue.hasPrefix("read_only_") }.isEmpty
        let writes = !scopes.members.filter { $0.rawValue.hasPrefix("write_only_") }.isEmpty
        switch (reads, writes) {
        case (true, true): self = .readWrite
        case (true, false): self = .read
        case (false, true): self = .write
        case (false, false): return nil
        }
    }
}

/// A validated `POST /tenants/{id}/keys` body: `{display_name? (or name), scope?}`.
package struct NewKey: Sendable, Hashable {
    package let name: TokenName?
    package let scope: KeyScope

    package init(name: TokenName? = nil, scope: KeyScope = .readWrite) {
        self.name = name
        self.scope = scope
    }

    package static func parse(body: JSONValue?) throws(TokendError) -> NewKey {
        let fields = try TenantFields.object(body, known: ["display_name", "name", "scope"])
        if fields["display_name"] != nil, fields["name"] != nil {
            throw .invalidArgument("name", .constraint, "give display_name or its alias name, not both")
        }
        var check = ArgumentCheck()
        let field = fields["display_name"] != nil ? "display_name" : "name"
        let name =
            check.attempt { () throws(TokendError) in
                try JSONField.string(fields[field], field).map { text throws(TokendError) in
                    guard let name = TokenName(text) else {
                        throw .invalidArgument(field, .constraint, "\(field) must be 3 to 50 characters of letters, digits, '_' or '-'")
                    }
                    return name
                }
            } ?? nil
        let scope =
            check.attempt { () throws(TokendError) in
                try JSONField.string(fields["scope"], "scope").map { text throws(TokendError) in
                    guard let scope = KeyScope(rawValue: text) else {
                        throw .invalidArgument("scope", .constraint, "scope must be read, write or read+write")
                    }
                    return scope
                }
            } ?? nil
        try check.finish()
        return NewKey(name: name, scope: scope ?? .readWrite)
    }
}
