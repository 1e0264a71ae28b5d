import Logging
import ServiceLifecycle
import TokendCore

/// Writes a region's verify usage (last-use times, counted refusals) to its store every
/// `interval`, so verify itself never writes. The last flush, at shutdown, is the store
/// service's, right before it closes the store.
package struct UsageFlushService: Service {
    let verifier: TokenVerifier
    let interval: Duration
    let logger: Logger

    package init(verifier: TokenVerifier, interval: Duration, logger: Logger) {
        self.verifier = verifier
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            // A cancelled sleep (shutdown, or the group cancelled by a failure) ends the loop
            // without another flush, so none runs beside the store's close.
            while (try? await Task.sleep(for: interval)) != nil {
                await flush()
            }
        }
    }

    func flush() async {
        do {
            try await verifier.flush()
        } catch {
            logger.warning("usage flush failed; kept for the next one", metadata: ["region": "\(verifier.region)", "error": "\(error)"])
        }
    }
}

/// Named for the service group (why: `RegionStoreService`'s description).
extension UsageFlushService: CustomStringConvertible {
    package var description: String { "verify usage flushes" }
}
