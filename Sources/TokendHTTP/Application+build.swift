import Hummingbird
import HummingbirdCore
import Logging
import TokendCore

/// Where the server listens.
package struct ListenSettings: Sendable {
    package var host: String
    package var port: Int

    package init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// The HTTP application around a front door: the one place a server is assembled, for
/// `serve`, `region` and `gateway` and for the tests. What each region holds open (stores,
/// usage flushes, HTTP clients) runs as services of the application's service group: they
/// start together with the server; at a graceful shutdown they stop after it, in reverse
/// order (a region's flush before its store); when the group is cancelled because the server
/// or a service failed, all at once, and each store and client still closes.
/// `onServerRunning` is told the port the server listens on (the one picked, for port 0).
package func buildApplication(
    frontDoor: FrontDoor, listen: ListenSettings, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(60))
    var application = Application(
        router: frontDoor.buildRouter(),
        // A gateway relays its remote regions' plain requests below the router (`ChannelRelay`).
        server: ChannelRelay(frontDoor: frontDoor, logger: logger).map { .http1(configuration: http1, relay: $0) }
            ?? .http1(configuration: http1),
        configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? listen.port) },
        logger: logger
    )
    for backend in frontDoor.servedBackends { application.addServices(backend.services(logger: logger)) }
    return application
}
