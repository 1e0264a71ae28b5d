/// A token as the API shows it. Its secret is never part of it: see `IssuedToken`.
package struct Token: Sendable, Hashable {
    package let id: TokenID
    package let projectID: ProjectID
    package let name: TokenName
    package let createdAt: Timestamp
    package let updatedAt: Timestamp
    package let scopes: TokenScopes
    package let region: RegionName
    /// The start of the secret, enough for a person to tell keys apart (see `SecretFormat`).
    package let secretPrefix: String
    /// After this the token no longer verifies (extension; nil: never expires).
    package let expiresAt: Timestamp?
    /// When a data-plane request last verified with it, to within the usage flush interval.
    package let lastUsedAt: Timestamp?

    package init(
        id: TokenID, projectID: ProjectID, name: TokenName, createdAt: Timestamp,
        updatedAt: Timestamp, scopes: TokenScopes, region: RegionName, secretPrefix: String,
        expiresAt: Timestamp? = nil, lastUsedAt: Timestamp? = nil
    ) {
        self.id = id
        self.projectID = projectID
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.scopes = scopes
        self.region = region
        self.secretPrefix = secretPrefix
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }

    package enum Status: String, Sendable { case active, expired }

    package func status(at now: Timestamp) -> Status {
        if let expiresAt, expiresAt <= now { .expired } else { .active }
    }
}

/// A token with its plain secret, as answered once, at create. Never stored, never logged.
package struct IssuedToken: Sendable {
    package let token: Token
    package let secret: String

    package init(token: Token, secret: String) {
        self.token = token
        self.secret = secret
    }
}

/// A token as the store keeps it: the token and the keyed hash of its secret.
package struct StoredToken: Sendable {
    package let token: Token
    package let secretHash: [UInt8]

    package init(token: Token, secretHash: [UInt8]) {
        self.token = token
        self.secretHash = secretHash
    }
}
