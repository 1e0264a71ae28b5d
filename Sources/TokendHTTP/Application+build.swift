import Hummingbird
import Logging
import TokendCore

/// Where the server listens and how long it waits on a silent client.
public struct ListenSettings: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// The HTTP application around a front door: the one place a server is assembled, for
/// `serve`, for a single region and for the tests.
/// Regions served here get their verify usage flushed every `usageFlushInterval`.
public func buildApplication(frontDoor: FrontDoor, listen: ListenSettings, logger: Logger,
                             usageFlushInterval: Duration = .seconds(1)) -> some ApplicationProtocol {
    let verifiers = frontDoor.backends.values.compactMap { ($0 as? LocalRegionBackend)?.service.verifier }
    return Application(
        router: frontDoor.buildRouter(),
        server: .http1(configuration: .init(idleTimeout: .seconds(60))),
        configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
        services: verifiers.isEmpty ? [] : [UsageFlushService(verifiers: verifiers, interval: usageFlushInterval, logger: logger)],
        logger: logger
    )
}
