import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with a `ChannelRelayHandler` put right after its
/// connection-state handler, in front of the async channel the router reads.
struct RelayingHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let relay: ChannelRelay

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // Hummingbird builds the pipeline synchronously on the channel's loop: the handler is
        // in place before the first byte is read.
        http1.setup(channel: channel, logger: logger).flatMapThrowing { [relay] value in
            let operations = channel.pipeline.syncOperations
            let connectionState = try operations.handler(type: HTTPConnectionStateHandler.self)
            try operations.addHandler(ChannelRelayHandler(relay: relay), position: .after(connectionState))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 whose remote regions' plain requests `relay` answers below the router.
    static func http1(configuration: HTTP1Channel.Configuration, relay: ChannelRelay) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            RelayingHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: configuration), relay: relay)
        }
    }
}
