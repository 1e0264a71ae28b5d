import CoreMetrics

/// What a data-plane request presents: the secret of its bearer credential (the HTTP layer
/// reads it from `Authorization`), its tenant header and the operation it performs.
package struct VerifyRequest: Sendable {
    package let secret: Substring?
    package let tenant: String?
    package let operation: DataOperation?
    /// The original request's `Content-Length`, counted as bytes pushed when it is let through.
    package let contentLength: Int64?

    package init(secret: Substring?, tenant: String?, operation: DataOperation?, contentLength: Int64? = nil) {
        self.secret = secret
        self.tenant = tenant
        self.operation = operation
        self.contentLength = contentLength
    }
}

/// A request let through: whose token, which tenant, what it does.
package struct VerifiedAccess: Sendable, Hashable {
    package let tokenID: TokenID
    package let projectID: ProjectID
    package let operation: DataOperation
    package let scope: TokenScope
    /// The tenant to pass on as `X-Scope-OrgID`: the xScaler tenant id of a tenant's
    /// project, else the project id.
    package let tenant: String
}

/// Answers, for every data-plane request of one region, whether to let it through.
///
/// The hot path writes nothing: a malformed or mistyped secret is refused before any
/// lookup (checksum), a known one is usually answered from `CredentialCache`, and last-use
/// times and refusals are counted in memory and flushed in batches.
package final class TokenVerifier: Sendable {
    package let region: RegionName
    private let store: any TokenStore
    private let hasher: SecretHasher
    private let clock: any TimeSource
    private let limits: RateLimits
    let cache: CredentialCache
    private let ledger = UsageLedger()
    private let limiter = RateLimiter()
    private let metrics: VerifyMetrics

    init(
        region: RegionName, store: any TokenStore, hasher: SecretHasher, clock: any TimeSource, limits: RateLimits,
        metrics: any MetricsFactory
    ) {
        self.region = region
        self.metrics = VerifyMetrics(region: region, factory: metrics)
        self.store = store
        self.hasher = hasher
        self.clock = clock
        self.limits = limits
        let cache = CredentialCache(lifetime: store.credentialLifetime)
        self.cache = cache
        store.observeCredentialChanges { change in cache.apply(change) }
    }

    package func verify(_ request: VerifyRequest) async throws -> VerifiedAccess {
        let now = clock.now()
        guard let secret = request.secret else {
            throw deny(.authenticationDenied(method: .apiKey, reason: .invalidArgument), .malformed, at: now)
        }
        // An xScaler key names no region (its tenant does); a Cockpit secret must name this one.
        if XScalerKeyFormat.claims(secret) {
            guard XScalerKeyFormat.isWellFormed(secret) else {
                throw deny(.authenticationDenied(method: .apiKey, reason: .invalidArgument), .malformed, at: now)
            }
        } else {
            guard let parsed = SecretFormat.parse(secret) else {
                throw deny(.authenticationDenied(method: .apiKey, reason: .invalidArgument), .malformed, at: now)
            }
            guard parsed.region == region else {
                throw deny(.authenticationDenied(method: .apiKey, reason: .notFound), .otherRegion, at: now)
            }
        }
        let tenants: [String]
        do {
            tenants = try TenantIDs.parse(request.tenant)
        } catch {
            throw deny(error, .tenantHeader, at: now)
        }

        let hash = hasher.hash(secret)
        let credential: Credential
        switch cache.lookup(hash) {
        case (let cached?, _):
            metrics.cacheLookup(hit: true)
            credential = cached
        case (nil, let miss):
            metrics.cacheLookup(hit: false)
            // The lookup compares keyed hashes, never the secret itself: its timing tells an
            // attacker nothing about any secret.
            let stored: Credential?
            do {
                stored = try await store.credential(secretHash: hash)
            } catch {
                metrics.answered(.unavailable)
                throw error
            }
            guard let found = stored else {
                throw deny(.authenticationDenied(method: .apiKey, reason: .notFound), .unknown, at: now)
            }
            cache.remember(found, for: hash, after: miss)
            credential = found
        }

        if let validUntil = credential.validUntil, validUntil <= now {
            throw deny(.authenticationDenied(method: .apiKey, reason: .expired), .expired, of: credential, at: now)
        }
        // A tenant's project answers to its xScaler id and to its project id alike (the id's
        // text is made once: an id holds no text of its own).
        let projectText = credential.projectID.rawValue
        guard tenants.allSatisfy({ $0 == projectText || $0 == credential.tenantID?.rawValue }) else {
            throw deny(
                .permissionsDenied(action: request.operation?.description ?? "any", resource: "tenant \(tenants.joined(separator: "|"))"),
                .tenant, of: credential, at: now)
        }
        if credential.suspended {
            throw deny(
                .permissionsDenied(action: request.operation?.description ?? "any", resource: "suspended tenant"), .suspended,
                of: credential,
                at: now)
        }
        guard let operation = request.operation else {
            throw deny(
                .permissionsDenied(action: "unknown operation", resource: "the original request's path"), .operation, of: credential,
                at: now)
        }
        guard let scope = operation.requiredScope, credential.scopes.contains(scope) else {
            throw deny(.permissionsDenied(action: operation.description, resource: "token scopes"), .scope, of: credential, at: now)
        }
        if let rate = limits.perToken, let retryAfter = limiter.admit(.token(credential.tokenID), rate: rate, at: now) {
            metrics.rateLimited(.token)
            throw deny(
                .tooManyRequests(message: "rate limit of \(rate)/s for this token exceeded", retryAfterSeconds: retryAfter),
                .rateLimited, of: credential, at: now)
        }
        if let rate = limits.perTenant, let retryAfter = limiter.admit(.tenant(credential.projectID), rate: rate, at: now) {
            metrics.rateLimited(.tenant)
            throw deny(
                .tooManyRequests(message: "rate limit of \(rate)/s for this tenant exceeded", retryAfterSeconds: retryAfter),
                .rateLimited, of: credential, at: now)
        }
        ledger.used(credential.tokenID, of: credential.projectID, for: operation, bytes: request.contentLength ?? 0, at: now)
        metrics.answered(.allowed)
        return VerifiedAccess(
            tokenID: credential.tokenID, projectID: credential.projectID, operation: operation, scope: scope,
            tenant: credential.tenantID?.rawValue ?? projectText)
    }

    /// Writes the last-use times and refusal counts gathered since the last flush, in one
    /// transaction; on failure they are kept for the next one.
    package func flush() async throws {
        let drained = ledger.drain()
        guard !drained.lastUsed.isEmpty || !drained.denials.isEmpty || !drained.traffic.isEmpty else { return }
        do {
            try await store.recordVerifications(
                lastUsed: drained.lastUsed, denials: drained.denials, traffic: drained.traffic, month: clock.now().month)
        } catch {
            ledger.restore(drained)
            throw error
        }
        let limits = limits
        limiter.prune(at: clock.now()) { key in
            switch key {
            case .token: limits.perToken
            case .tenant: limits.perTenant
            }
        }
    }

    /// Counts a refusal (in the region's usage, by the token's project when known, and in
    /// `/metrics`) and returns its error.
    private func deny(_ error: TokendError, _ outcome: VerifyOutcome, of credential: Credential? = nil, at now: Timestamp) -> TokendError {
        ledger.denied(
            UsageLedger.Denial(tokenID: credential?.tokenID, projectID: credential?.projectID, reason: outcome.rawValue), at: now)
        metrics.answered(outcome)
        return error
    }
}
