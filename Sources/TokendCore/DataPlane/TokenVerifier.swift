/// What a data-plane request presents: its bearer secret, its tenant header and the
/// operation its original method and path perform.
public struct VerifyRequest: Sendable {
    public let authorization: String?
    public let tenant: String?
    public let operation: DataOperation?

    public init(authorization: String?, tenant: String?, operation: DataOperation?) {
        self.authorization = authorization
        self.tenant = tenant
        self.operation = operation
    }

    /// The secret of an `Authorization: Bearer <secret>` header, or nil.
    public var bearerSecret: Substring? {
        guard let authorization, authorization.count > 7,
              authorization.prefix(7).lowercased() == "bearer "
        else { return nil }
        return authorization.dropFirst(7).drop { $0 == " " }
    }
}

/// A request let through: whose token, which tenant, what it does.
public struct VerifiedAccess: Sendable, Hashable {
    public let tokenID: TokenID
    public let projectID: ProjectID
    public let operation: DataOperation
    public let scope: TokenScope
}

/// Answers, for every data-plane request of one region, whether to let it through.
///
/// The hot path writes nothing: a malformed or mistyped secret is refused before any
/// lookup (checksum), a known one is usually answered from `CredentialCache`, and last-use
/// times and refusals are counted in memory and flushed in batches.
public final class TokenVerifier: Sendable {
    public let region: RegionName
    private let store: any TokenStore
    private let hasher: SecretHasher
    private let clock: any TimeSource
    private let limits: RateLimits
    let cache = CredentialCache()
    private let ledger = UsageLedger()
    private let limiter = RateLimiter()

    init(region: RegionName, store: any TokenStore, hasher: SecretHasher, clock: any TimeSource, limits: RateLimits) {
        self.region = region
        self.store = store
        self.hasher = hasher
        self.clock = clock
        self.limits = limits
    }

    public func verify(_ request: VerifyRequest) async throws -> VerifiedAccess {
        let now = clock.now()
        guard let secret = request.bearerSecret, let parsed = SecretFormat.parse(secret) else {
            throw deny(.authenticationDenied(method: .apiKey, reason: .invalidArgument), "malformed", at: now)
        }
        guard parsed.region == region else {
            throw deny(.authenticationDenied(method: .apiKey, reason: .notFound), "other_region", at: now)
        }
        let tenants: [String]
        do {
            tenants = try TenantIDs.parse(request.tenant)
        } catch {
            throw deny(error, "tenant_header", at: now)
        }

        let hash = hasher.hash(secret)
        let credential: Credential
        switch cache.lookup(hash) {
        case (let cached?, _):
            credential = cached
        case (nil, let generation):
            // The lookup compares keyed hashes, never the secret itself: its timing tells an
            // attacker nothing about any secret.
            guard let found = try await store.credential(secretHash: hash) else {
                throw deny(.authenticationDenied(method: .apiKey, reason: .notFound), "unknown", at: now)
            }
            cache.remember(found, for: hash, readAt: generation)
            credential = found
        }
        let denial = { (reason: String) in UsageLedger.Denial(tokenID: credential.tokenID, projectID: credential.projectID, reason: reason) }

        if let validUntil = credential.validUntil, validUntil <= now {
            throw deny(.authenticationDenied(method: .apiKey, reason: .expired), denial("expired"), at: now)
        }
        guard tenants.allSatisfy({ $0 == credential.projectID.rawValue }) else {
            throw deny(.permissionsDenied(action: request.operation?.description ?? "any", resource: "tenant \(tenants.joined(separator: "|"))"),
                       denial("tenant"), at: now)
        }
        guard let operation = request.operation else {
            throw deny(.permissionsDenied(action: "unknown operation", resource: "the original request's path"), denial("operation"), at: now)
        }
        guard let scope = operation.requiredScope, credential.scopes.contains(scope) else {
            throw deny(.permissionsDenied(action: operation.description, resource: "token scopes"), denial("scope"), at: now)
        }
        if let rate = limits.perToken, let retryAfter = limiter.admit("token:\(credential.tokenID)", rate: rate, at: now) {
            throw deny(.tooManyRequests(message: "rate limit of \(rate)/s for this token exceeded", retryAfterSeconds: retryAfter),
                       denial("rate_limited"), at: now)
        }
        if let rate = limits.perTenant, let retryAfter = limiter.admit("tenant:\(credential.projectID)", rate: rate, at: now) {
            throw deny(.tooManyRequests(message: "rate limit of \(rate)/s for this tenant exceeded", retryAfterSeconds: retryAfter),
                       denial("rate_limited"), at: now)
        }
        ledger.used(credential.tokenID, at: now)
        return VerifiedAccess(tokenID: credential.tokenID, projectID: credential.projectID, operation: operation, scope: scope)
    }

    /// Writes the last-use times and refusal counts gathered since the last flush, in one
    /// transaction; on failure they are kept for the next one.
    public func flush() async throws {
        let (lastUsed, denials) = ledger.drain()
        guard !lastUsed.isEmpty || !denials.isEmpty else { return }
        do {
            try await store.recordVerifications(lastUsed: lastUsed, denials: denials)
        } catch {
            ledger.restore(lastUsed: lastUsed, denials: denials)
            throw error
        }
        let limits = limits
        limiter.prune(at: clock.now()) { key in key.hasPrefix("token:") ? limits.perToken : limits.perTenant }
    }

    private func deny(_ error: TokendError, _ reason: String, at now: Timestamp) -> TokendError {
        deny(error, UsageLedger.Denial(tokenID: nil, projectID: nil, reason: reason), at: now)
    }

    private func deny(_ error: TokendError, _ denial: UsageLedger.Denial, at now: Timestamp) -> TokendError {
        ledger.denied(denial, at: now)
        return error
    }
}
