import Logging
import ServiceLifecycle
import TokendCore

/// Writes each region's verify usage (last-use times, counted refusals) to its store every
/// `interval`, and once more at shutdown, so verify itself never writes.
public struct UsageFlushService: Service {
    let verifiers: [TokenVerifier]
    let interval: Duration
    let logger: Logger

    public init(verifiers: [TokenVerifier], interval: Duration, logger: Logger) {
        self.verifiers = verifiers
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await flushAll()
            }
        }
        await flushAll()
    }

    func flushAll() async {
        for verifier in verifiers {
            do {
                try await verifier.flush()
            } catch {
                logger.warning("usage flush failed; kept for the next one", metadata: ["region": "\(verifier.region)", "error": "\(error)"])
            }
        }
    }
}
