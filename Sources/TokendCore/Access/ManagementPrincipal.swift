/// Who is calling the management API, once their `X-Auth-Token` is accepted.
package struct ManagementPrincipal: Sendable, Hashable {
    /// The key's first characters, safe to log and to show in an audit trail.
    package let keyPrefix: String
    package let projects: ProjectAccess
    /// Tells keys apart without holding them (a digest of the key): what per-caller state,
    /// like idempotency keys, is filed under.
    package let identity: String

    package init(keyPrefix: String, projects: ProjectAccess, identity: String) {
        self.keyPrefix = keyPrefix
        self.projects = projects
        self.identity = identity
    }
}
