/// Where a region keeps its tokens. The SQLite store is the real one; tests run it in memory.
///
/// Every method answers only after its change is durable: a create that returns has been
/// committed. Storage failures surface as `TokendError.unavailable`.
public protocol TokenStore: Sendable {
    func insert(_ token: StoredToken) async throws
    func token(id: TokenID) async throws -> Token?
    func list(_ query: TokenListQuery) async throws -> TokenPage
    /// Deletes the token if the caller may see its project; returns it, or nil if there was none to delete.
    func delete(id: TokenID, visibleTo access: ProjectAccess) async throws -> Token?
    /// Forgets every token (the test-only reset).
    func removeAll() async throws
    /// Throws when the store cannot serve reads.
    func checkHealth() async throws
}
