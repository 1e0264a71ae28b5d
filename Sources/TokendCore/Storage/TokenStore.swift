/// Where a region keeps its tokens and its audit trail. The SQLite store is the real one;
/// tests run it in memory.
///
/// Every write answers only after it is durable, and a management change commits with its
/// audit event in one transaction. Storage failures surface as `TokendError.unavailable`.
package protocol TokenStore: Sendable {
    /// Stores a new token with its `api_key.created` event and, for an idempotent create, its
    /// key (a key already taken makes the insert fail).
    func insert(_ token: StoredToken, activity: ActivityRecord, idempotency: IdempotencyRecord?) async throws
    /// The record of an idempotency key used at or after `since`.
    func idempotencyRecord(_ key: IdempotencyKey, since: Timestamp) async throws -> IdempotencyRecord?
    func token(id: TokenID) async throws -> Token?
    func list(_ query: TokenListQuery) async throws -> TokenPage
    /// Deletes the token if the caller may see its project; returns it, or nil if there was none to delete.
    func delete(
        id: TokenID, visibleTo access: ProjectAccess,
        activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token?
    /// Gives the token a new secret; the old one stays valid until `previousValidUntil` (nil: not at all).
    func rotate(
        id: TokenID, visibleTo access: ProjectAccess, to secret: SecretDigest, at time: Timestamp,
        previousValidUntil: Timestamp?, activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token?
    /// The token a secret's hash belongs to, as verify needs it.
    func credential(secretHash: [UInt8]) async throws -> Credential?
    /// Raises each token's `last_used_at` to the given time (never lowers it), adds each
    /// project's traffic to its count for `month`, and appends the counted refusals, in one
    /// transaction.
    func recordVerifications(
        lastUsed: [TokenID: Timestamp], denials: [ActivityRecord], traffic: [ProjectID: Traffic], month: String
    ) async throws
    func activity(_ query: ActivityQuery) async throws -> ActivityPage
    /// The store's whole state as one image (the fake cloud's snapshots).
    func exportImage() async throws -> [UInt8]
    /// Replaces the whole state with an image `exportImage` made, in one step; an image that
    /// is not one is refused and changes nothing.
    func importImage(_ image: [UInt8]) async throws
    /// Forgets every token, tenant and event (the test-only reset).
    func removeAll() async throws
    /// Throws when the store cannot serve reads.
    func checkHealth() async throws
    /// How long verify may answer from a credential it remembers; nil: until this process
    /// changes it. A store other instances write as well bounds it, since an announcement of
    /// their changes can be lost.
    var credentialLifetime: Duration? { get }
    /// Hands `observer` the changes other instances make, as the store learns of them.
    func observeCredentialChanges(_ observer: @escaping @Sendable (CredentialChange) -> Void)
    /// Ends the store's use cleanly (SQLite folds its write-ahead log back in), so the next
    /// start opens it at once. Nothing may use the store afterwards.
    func close() async throws
}

/// What the store keeps of a secret: its keyed hash and its display prefix.
package struct SecretDigest: Sendable, Hashable {
    package let hash: [UInt8]
    package let displayPrefix: String

    package init(hash: [UInt8], displayPrefix: String) {
        self.hash = hash
        self.displayPrefix = displayPrefix
    }
}

/// What verify needs to know about the token a secret belongs to.
package struct Credential: Sendable, Hashable {
    package let tokenID: TokenID
    package let projectID: ProjectID
    package let scopes: TokenScopes
    /// The earlier of the token's expiry and, for a rotated-out secret, the end of its grace period.
    package let validUntil: Timestamp?
    /// The xScaler tenant whose project this is, if any.
    package let tenantID: TenantID?
    /// The tenant is suspended (its requests are refused, its keys kept) or deleted (a token
    /// made for its project since, through the Cockpit face, is refused too).
    package let suspended: Bool

    package init(
        tokenID: TokenID, projectID: ProjectID, scopes: TokenScopes, validUntil: Timestamp?, tenantID: TenantID? = nil,
        suspended: Bool = false
    ) {
        self.tokenID = tokenID
        self.projectID = projectID
        self.scopes = scopes
        self.validUntil = validUntil
        self.tenantID = tenantID
        self.suspended = suspended
    }
}
