/// The tokens API of one region, over its store: what every transport (the HTTP routes,
/// a test) calls. Validation and access checks live here so no transport can skip them.
public struct RegionTokenService: Sendable {
    public let region: RegionName
    private let store: any TokenStore
    private let hasher: SecretHasher
    private let clock: any TimeSource

    public init(region: RegionName, store: any TokenStore, hasher: SecretHasher, clock: any TimeSource = SystemTimeSource()) {
        self.region = region
        self.store = store
        self.hasher = hasher
        self.clock = clock
    }

    /// Creates a token and returns it with its secret; the answer comes after the commit.
    public func create(_ request: CreateTokenRequest, by caller: ManagementPrincipal) async throws -> IssuedToken {
        guard caller.projects.allows(request.projectID) else {
            throw TokendError.permissionsDenied(action: "write", resource: "project \(request.projectID)")
        }
        let secret = SecretFormat.generate(region: region)
        let now = clock.now()
        let token = Token(
            id: .random(), projectID: request.projectID, name: request.name ?? .generated(),
            createdAt: now, updatedAt: now, scopes: request.scopes, region: region,
            secretPrefix: SecretFormat.parse(secret)!.displayPrefix)
        try await store.insert(StoredToken(token: token, secretHash: hasher.hash(secret)))
        return IssuedToken(token: token, secret: secret)
    }

    /// A token the caller may see. Another project's token is "not found", like a missing
    /// one, so a key learns nothing about projects it cannot manage.
    public func token(id text: String, by caller: ManagementPrincipal) async throws -> Token {
        let id = try Self.parseTokenID(text)
        guard let token = try await store.token(id: id), caller.projects.allows(token.projectID) else {
            throw TokendError.tokenNotFound(id.rawValue)
        }
        return token
    }

    public func list(_ arguments: ListArguments, by caller: ManagementPrincipal) async throws -> TokenPage {
        try await store.list(TokenListQuery.parse(arguments, access: caller.projects))
    }

    /// Deletes a token for good; a second delete is "not found".
    @discardableResult
    public func delete(id text: String, by caller: ManagementPrincipal) async throws -> Token {
        let id = try Self.parseTokenID(text)
        guard let token = try await store.delete(id: id, visibleTo: caller.projects) else {
            throw TokendError.tokenNotFound(id.rawValue)
        }
        return token
    }

    public func removeAll() async throws { try await store.removeAll() }

    public func checkHealth() async throws { try await store.checkHealth() }

    private static func parseTokenID(_ text: String) throws(TokendError) -> TokenID {
        guard let id = TokenID(text) else {
            throw .invalidArgument("token_id", .format, "token_id must be a UUID like 11111111-2222-4333-8444-555555555555")
        }
        return id
    }
}
