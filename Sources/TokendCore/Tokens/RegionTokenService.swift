import CoreMetrics

/// The tokens API of one region, over its store: what every transport (the HTTP routes,
/// a test) calls. Validation, access checks and the audit trail live here so no transport
/// can skip them.
package struct RegionTokenService: Sendable {
    package let region: RegionName
    /// The region's data-plane check; it shares the service's store and forgets changed tokens.
    package let verifier: TokenVerifier
    private let store: any TokenStore
    private let hasher: SecretHasher
    package let clock: any TimeSource

    package init(
        region: RegionName, store: any TokenStore, hasher: SecretHasher,
        clock: any TimeSource = SystemTimeSource(), limits: RateLimits = .unlimited,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.region = region
        self.store = store
        self.hasher = hasher
        self.clock = clock
        self.verifier = TokenVerifier(
            region: region, store: store, hasher: hasher, clock: clock, limits: limits, metrics: metrics)
    }

    /// Creates a token and returns it with its secret; the answer comes after the commit.
    package func create(_ request: CreateTokenRequest, by origin: RequestOrigin) async throws -> IssuedToken {
        guard case .created(let issued) = try await create(request, idempotencyKey: nil, by: origin) else {
            preconditionFailure("a create without an idempotency key always creates")
        }
        return issued
    }

    /// Creates a token, or with an `Idempotency-Key` already used for this same request,
    /// answers the token that first create made.
    /// Idempotency keys are filed per management key: one caller's key never collides with another's.
    /// `style`: the face whose secrets the token is issued (the xScaler portal's keys are `xag_…`).
    package func create(
        _ request: CreateTokenRequest, idempotencyKey callerKey: IdempotencyKey?,
        by origin: RequestOrigin, style: SecretStyle = .cockpit
    ) async throws -> CreateOutcome {
        let key = callerKey.map { IdempotencyKey(rawValue: origin.principal.identity + ":" + $0.rawValue) }
        guard origin.principal.projects.allows(request.projectID) else {
            throw TokendError.permissionsDenied(action: "write", resource: "project \(request.projectID)")
        }
        let now = clock.now()
        if let key, let earlier = try await store.idempotencyRecord(key, since: now.adding(seconds: -IdempotencyKey.window)) {
            return try await replay(earlier, of: request)
        }
        if let expiresAt = request.expiresAt, expiresAt <= now {
            throw TokendError.invalidArgument("expires_at", .constraint, "expires_at must lie in the future")
        }
        let (secret, digest) = issueSecret(style)
        let token = Token(
            id: TokenID.timeOrdered(at: now), projectID: request.projectID, name: request.name ?? .generated(),
            createdAt: now, updatedAt: now, scopes: request.scopes, region: region,
            secretPrefix: digest.displayPrefix, expiresAt: request.expiresAt)
        let idempotency = key.map { IdempotencyRecord(key: $0, fingerprint: request.fingerprint, tokenID: token.id, createdAt: now) }
        do {
            try await store.insert(
                StoredToken(token: token, secretHash: digest.hash),
                activity: record(.created, token, origin, at: now), idempotency: idempotency)
        } catch {
            // A concurrent create with the same key won the race: answer as its retry.
            if let key, let earlier = try? await store.idempotencyRecord(key, since: now.adding(seconds: -IdempotencyKey.window)) {
                return try await replay(earlier, of: request)
            }
            throw error
        }
        return .created(IssuedToken(token: token, secret: secret))
    }

    private func replay(_ earlier: IdempotencyRecord, of request: CreateTokenRequest) async throws -> CreateOutcome {
        guard earlier.fingerprint == request.fingerprint else {
            throw TokendError.conflict(message: "this Idempotency-Key was used for a different create request")
        }
        guard let token = try await store.token(id: earlier.tokenID) else {
            throw TokendError.conflict(message: "the token this Idempotency-Key created (\(earlier.tokenID)) has since been deleted")
        }
        return .replayed(token)
    }

    /// A token the caller may see. Another project's token is "not found", like a missing
    /// one, so a key learns nothing about projects it cannot manage.
    package func token(id text: String, by caller: ManagementPrincipal) async throws -> Token {
        let id = try Self.parseTokenID(text)
        guard let token = try await store.token(id: id), caller.projects.allows(token.projectID) else {
            throw TokendError.tokenNotFound(id.rawValue)
        }
        return token
    }

    package func list(_ arguments: ListArguments, by caller: ManagementPrincipal) async throws -> TokenPage {
        try await store.list(TokenListQuery.parse(arguments, access: caller.projects))
    }

    /// Revokes a token for good: it stops verifying before this returns. A second delete is "not found".
    @discardableResult
    package func delete(id text: String, by origin: RequestOrigin) async throws -> Token {
        let id = try Self.parseTokenID(text)
        let now = clock.now()
        let token = try await store.delete(id: id, visibleTo: origin.principal.projects) { token in
            record(.revoked, token, origin, at: now)
        }
        verifier.cache.forget(id)
        guard let token else { throw TokendError.tokenNotFound(id.rawValue) }
        return token
    }

    /// Gives a token a new secret, shown once. The old one stops verifying before this
    /// returns, or at the end of the requested grace period.
    package func rotate(id text: String, _ request: RotateTokenRequest, by origin: RequestOrigin) async throws -> IssuedToken {
        let id = try Self.parseTokenID(text)
        return try await rotate(id: id, request, by: origin)
    }

    /// The same, for a token id already parsed; the new secret is of the token's own style.
    package func rotate(id: TokenID, _ request: RotateTokenRequest, by origin: RequestOrigin) async throws -> IssuedToken {
        let now = clock.now()
        guard let current = try await store.token(id: id), origin.principal.projects.allows(current.projectID) else {
            throw TokendError.tokenNotFound(id.rawValue)
        }
        let (secret, digest) = issueSecret(SecretStyle(displayPrefix: current.secretPrefix))
        let previousValidUntil = request.gracePeriodSeconds > 0 ? now.adding(seconds: request.gracePeriodSeconds) : nil
        let token = try await store.rotate(
            id: id, visibleTo: origin.principal.projects, to: digest, at: now,
            previousValidUntil: previousValidUntil
        ) { token in
            record(.rotated, token, origin, at: now)
        }
        verifier.cache.forget(id)
        guard let token else { throw TokendError.tokenNotFound(id.rawValue) }
        return IssuedToken(token: token, secret: secret)
    }

    /// The region's audit trail, newest first, limited to what the caller may see.
    package func activity(_ query: ActivityQuery) async throws -> ActivityPage {
        try await store.activity(query)
    }

    /// The region's whole state, for a snapshot.
    package func exportState() async throws -> [UInt8] {
        try await verifier.flush()
        return try await store.exportImage()
    }

    /// Brings back a snapshot's state: verify forgets what it remembered, since every token may have changed.
    package func importState(_ image: [UInt8]) async throws {
        try await store.importImage(image)
        verifier.cache.forgetAll()
    }

    package func removeAll() async throws {
        try await store.removeAll()
        verifier.cache.forgetAll()
    }

    package func checkHealth() async throws { try await store.checkHealth() }

    /// Writes what verify has gathered, then closes the store: the last step of a shutdown.
    package func close() async throws {
        try await verifier.flush()
        try await store.close()
    }

    package func now() -> Timestamp { clock.now() }

    /// Forgets every remembered credential: a tenant's suspension changed what verify answers
    /// for all its tokens (rare enough that forgetting all is simpler than tracking them).
    package func forgetCredentials() { verifier.cache.forgetAll() }

    private func issueSecret(_ style: SecretStyle) -> (secret: String, digest: SecretDigest) {
        switch style {
        case .cockpit:
            let secret = SecretFormat.generate(region: region)
            return (secret, SecretDigest(hash: hasher.hash(secret), displayPrefix: SecretFormat.parse(secret)!.displayPrefix))
        case .xscaler:
            let secret = XScalerKeyFormat.generate()
            return (secret, SecretDigest(hash: hasher.hash(secret), displayPrefix: XScalerKeyFormat.displayPrefix(of: secret)))
        }
    }

    func record(_ kind: ActivityKind, _ token: Token, _ origin: RequestOrigin, at time: Timestamp) -> ActivityRecord {
        ActivityRecord(
            at: time, kind: kind, tokenID: token.id, projectID: token.projectID,
            actor: origin.principal.keyPrefix, requestID: origin.requestID, actorEmail: origin.actorEmail,
            // The portal's log shows a key's name; a Cockpit key's own actions keep the audit row
            // as it was (the details are JSON the store encodes, on every create and delete).
            details: origin.actorEmail == nil
                ? nil : ActivityDetails(metadata: ["display_name": token.name.rawValue, "prefix": token.secretPrefix]))
    }

    private static func parseTokenID(_ text: String) throws(TokendError) -> TokenID {
        try TokenID.parse(text, argument: "token_id")
    }
}

extension RegionTokenService {
    /// A token as stored, whoever may see it: for callers that check access themselves.
    package func storedToken(_ id: TokenID) async throws -> Token? { try await store.token(id: id) }

    /// Forgets one token's remembered credentials, after a change made beside this service.
    package func forgetCredential(_ id: TokenID) { verifier.cache.forget(id) }
}
