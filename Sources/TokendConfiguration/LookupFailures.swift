import Configuration
import Synchronization

/// The lookups a provider failed. `ConfigReader`'s getters answer nil both for a missing value
/// and for one a provider could not convert (`TOKEND_PORT=abc`): the failure only reaches the
/// reader's access reporter, and it must stop the server rather than fall back to a default.
final class LookupFailures: AccessReporter {
    struct Failure {
        let providerName: String
        let error: any Error
    }

    private let failures = Mutex<[String: Failure]>([:])

    func report(_ event: AccessEvent) {
        // Providers are asked in precedence order; the first one that throws ends the lookup.
        let thrown = event.providerResults.lazy.compactMap { provider -> Failure? in
            guard case .failure(let error) = provider.result else { return nil }
            return Failure(providerName: provider.providerName, error: error)
        }.first
        let unconverted = event.conversionError.map { Failure(providerName: event.providerResults.last?.providerName ?? "", error: $0) }
        guard let failure = thrown ?? unconverted else { return }
        failures.withLock { $0[event.metadata.key.description] = failure }
    }

    func failure(forKey key: AbsoluteConfigKey) -> Failure? { failures.withLock { $0[key.description] } }
}
