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
public func buildApplication(frontDoor: FrontDoor, listen: ListenSettings, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: frontDoor.buildRouter(),
        server: .http1(configuration: .init(idleTimeout: .seconds(60))),
        configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
        logger: logger
    )
}
