import Foundation
import Logging
import Metrics
import TokendCore
import TokendHTTP
import TokendStore

/// Opens the regions this process serves itself, each in its store: an SQLite file in the
/// data folder, a PostgreSQL schema, or, `--ephemeral`, SQLite in memory.
enum LocalRegions {
    enum Storage {
        case folder(String)
        case memory
    }

    /// If one store cannot be opened, those opened before it are closed again before the
    /// error is thrown: nothing is left open when start-up fails.
    static func open(
        _ regions: [(region: RegionName, store: StoreLocation)], in storage: Storage, postgreSQL settings: PostgreSQLStoreSettings,
        hasher: SecretHasher, access: ManagementAccess, limits: RateLimits, usageFlushInterval: Duration, metrics: any MetricsFactory,
        logger: Logger
    ) async throws -> [LocalRegionBackend] {
        // In open mode test suites may set each region's clock (/_tokend/clock); otherwise
        // regions keep the system's time, with nothing in between.
        let adjustable = access.isOpen
        var opened: [LocalRegionBackend] = []
        do {
            for (region, location) in regions {
                let store: any TokenStore & TenantStore =
                    switch (storage, location) {
                    case (.memory, _): try SQLiteTokenStore.inMemory(region: region, metrics: metrics)
                    case (.folder(let dataDirectory), .sqlite):
                        try SQLiteTokenStore(region: region, path: try sqlitePath(of: region, in: dataDirectory), metrics: metrics)
                    case (.folder, .postgresql(let database)):
                        try await PostgreSQLTokenStore.open(
                            region: region, at: database, settings: settings, metrics: metrics, logger: logger)
                    }
                let clock = adjustable ? AdjustableClock() : nil
                let service = RegionTokenService(
                    region: region, store: store, hasher: hasher, clock: clock ?? SystemTimeSource(), limits: limits,
                    metrics: metrics)
                let tenants = RegionTenantService(tokens: service, store: store, clock: clock ?? SystemTimeSource())
                opened.append(
                    LocalRegionBackend(
                        service: service, tenants: tenants, access: access, usageFlushInterval: usageFlushInterval, clock: clock))
            }
        } catch {
            for backend in opened { try? await backend.service.close() }
            throw error
        }
        return opened
    }

    private static func sqlitePath(of region: RegionName, in dataDirectory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return "\(dataDirectory)/\(region).sqlite"
    }
}
