/// A change to what verify may answer for a credential, made by another instance serving the
/// same region from a shared store (PostgreSQL), as that store announces it.
package enum CredentialChange: Sendable, Hashable {
    /// One token was deleted or rotated.
    case token(TokenID)
    /// Anything may have changed (a tenant suspended, a reset, a restored snapshot, or
    /// announcements lost while the store's listener was away).
    case all
}

extension TokenStore {
    /// A store only this process writes (SQLite) announces nothing: every change is made here.
    package var credentialLifetime: Duration? { nil }
    package func observeCredentialChanges(_ observer: @escaping @Sendable (CredentialChange) -> Void) {}
}
