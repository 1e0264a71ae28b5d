import TokendCore

/// How a region's PostgreSQL store behaves; the defaults are the flags'.
package struct PostgreSQLStoreSettings: Sendable, Hashable {
    /// Connections of the pool, per region and instance.
    package var poolSize: Int
    /// How long an operation may wait for the database before it answers `unavailable`.
    package var timeout: Duration
    /// How long verify may answer from a remembered credential: the bound on a revocation made
    /// by another instance when its announcement is lost.
    package var credentialLifetime: Duration
    /// Each region's schema is this and its name with `_` for `-` (`tokend_fr_par`).
    package var schemaPrefix: String

    package init(
        poolSize: Int = 8, timeout: Duration = .seconds(5), credentialLifetime: Duration = .seconds(2), schemaPrefix: String = "tokend_"
    ) {
        self.poolSize = poolSize
        self.timeout = timeout
        self.credentialLifetime = credentialLifetime
        self.schemaPrefix = schemaPrefix
    }

    /// A region's schema, also the channel its changes are announced on. Region names are
    /// lowercase letters, digits and `-`, so the name needs no quoting.
    func schema(of region: RegionName) -> String { schemaPrefix + region.rawValue.replacing("-", with: "_") }
}
