import Logging
import ServiceLifecycle
import TokendCore

/// Holds a region's store open while the application runs, and closes it when the service
/// group stops: after a graceful shutdown, and also when the group is cancelled because the
/// server or another service failed. Closing writes what verify gathered first, then folds
/// SQLite's write-ahead log back in so the next start opens the store at once.
package struct RegionStoreService: Service {
    let region: RegionTokenService
    let logger: Logger

    package init(region: RegionTokenService, logger: Logger) {
        self.region = region
        self.logger = logger
    }

    package func run() async throws {
        // Returns at graceful shutdown; throws when the group is cancelled. Either way, close,
        // in a task of its own: in the cancelled one, the store's async calls would only throw
        // CancellationError and leave it open.
        try? await gracefulShutdown()
        do {
            try await Task { try await region.close() }.value
        } catch {
            logger.error("region store did not close cleanly", metadata: ["region": "\(region.region)", "error": "\(error)"])
            throw error
        }
    }
}

/// The service group names each service `"\(service)"`; without a description that is a walk
/// by reflection over everything the service holds, at every start.
extension RegionStoreService: CustomStringConvertible {
    package var description: String { "the \(region.region) store" }
}
