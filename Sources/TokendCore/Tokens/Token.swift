/// A token as the API shows it. Its secret is never part of it: see `IssuedToken`.
public struct Token: Sendable, Hashable {
    public let id: TokenID
    public let projectID: ProjectID
    public let name: TokenName
    public let createdAt: Timestamp
    public let updatedAt: Timestamp
    public let scopes: TokenScopes
    public let region: RegionName
    /// The start of the secret, enough for a person to tell keys apart (see `SecretFormat`).
    public let secretPrefix: String
    /// After this the token no longer verifies (extension; nil: never expires).
    public let expiresAt: Timestamp?
    /// When a data-plane request last verified with it, to within the usage flush interval.
    public let lastUsedAt: Timestamp?

    public init(id: TokenID, projectID: ProjectID, name: TokenName, createdAt: Timestamp,
                updatedAt: Timestamp, scopes: TokenScopes, region: RegionName, secretPrefix: String,
                expiresAt: Timestamp? = nil, lastUsedAt: Timestamp? = nil) {
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

    public enum Status: String, Sendable { case active, expired }

    public func status(at now: Timestamp) -> Status {
        if let expiresAt, expiresAt <= now { .expired } else { .active }
    }
}

/// A token with its plain secret, as answered once, at create. Never stored, never logged.
public struct IssuedToken: Sendable {
    public let token: Token
    public let secret: String
}

/// A token as the store keeps it: the token and the keyed hash of its secret.
public struct StoredToken: Sendable {
    public let token: Token
    public let secretHash: [UInt8]

    public init(token: Token, secretHash: [UInt8]) {
        self.token = token
        self.secretHash = secretHash
    }
}
