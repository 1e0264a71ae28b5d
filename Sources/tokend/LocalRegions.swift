import Foundation
import Metrics
import TokendCore
import TokendHTTP
import TokendStore

/// Opens the regions this process serves itself: one SQLite store each, a file in the data
/// folder or, `--ephemeral`, in memory.
enum LocalRegions {
    enum Storage {
        case folder(String)
        case memory
    }

    /// If one store cannot be opened, those opened before it are closed again before the
    /// error is thrown: nothing is left open when start-up fails.
    static func open(
        _ regions: [RegionName], in storage: Storage, hasher: SecretHasher,
        access: ManagementAccess, limits: RateLimits, usageFlushInterval: Duration, metrics: any MetricsFactory
    ) async throws -> [LocalRegionBackend] {
        // In open mode test suites may set each region's clock (/_tokend/clock); otherwise
        // regions keep the system's time, with nothing in between.
        let adjustable = access.isOpen
        if case .folder(let dataDirectory) = storage {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        }
        var opened: [LocalRegionBackend] = []
        do {
            for region in regions {
                let store =
                    switch storage {
                    case .folder(let dataDirectory):
                        try SQLiteTokenStore(region: region, path: "\(dataDirectory)/\(region).sqlite", metrics: metrics)
                    case .memory: try SQLiteTokenStore.inMemory(region: region, metrics: metrics)
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
}
