import NIOCore
import NIOHTTP1

/// What `UpstreamExchangeHandler` is given to write: one request, the limit and deadline of
/// its answer, and where the answer goes.
struct UpstreamExchange: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let answerLimit: Int
    let deadline: NIODeadline
    let promise: EventLoopPromise<UpstreamAnswer>
}

/// The last handler of a pooled upstream connection (after NIO's HTTP/1.1 client codec):
/// writes one exchange at a time and gathers its answer whole, so the relay writes the
/// client one buffer and a region that stalls or breaks off mid-answer is a failure rather
/// than a cut-off body. Any failure closes the connection: its state is unknown.
final class UpstreamExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UpstreamExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var exchange: UpstreamExchange?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var timer: Scheduled<Void>?

    /// `promise` succeeds once the exchange is taken: it fails only when the channel closed
    /// before the handler saw it, which is the exchange not being sent.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard self.exchange == nil, context.channel.isActive else {
            exchange.promise.fail(self.exchange == nil ? UpstreamFailure.notSent : UpstreamFailure.connection("connection busy"))
            promise?.succeed()
            return
        }
        self.exchange = exchange
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: exchange.deadline) {
            self.fail(.timeout, context: context)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        // A failure from here on is the connection's: errorCaught or channelInactive reports it.
        context.write(wrapOutboundOut(.end(nil)), promise: nil)  // flushed by the caller's writeAndFlush
        promise?.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Bytes with no exchange waiting (a region talking out of turn): the connection's state
        // is unknown, so it is not used again.
        guard let exchange else { return context.close(promise: nil) }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            guard (body?.readableBytes ?? 0) + part.readableBytes <= exchange.answerLimit else {
                return fail(.tooLarge, context: context)
            }
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let head else { return fail(.connection("an answer without a head"), context: context) }
            // A body that ended with the connection leaves nothing to reuse.
            let answer = UpstreamAnswer(
                status: head.status, headers: head.headers, body: body ?? ByteBuffer(),
                reusable: head.isKeepAlive && context.channel.isActive)
            reset()
            if !answer.reusable { context.close(promise: nil) }
            exchange.promise.succeed(answer)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.connection("\(error)"), context: context)
        context.close(promise: nil)  // idle too: a connection that failed is not used again
    }

    func channelInactive(context: ChannelHandlerContext) {
        if exchange != nil { fail(.connection("the connection closed before the answer was complete"), context: context) }
        context.fireChannelInactive()
    }

    private func fail(_ failure: UpstreamFailure, context: ChannelHandlerContext) {
        guard let exchange else { return }
        reset()
        context.close(promise: nil)
        exchange.promise.fail(failure)
    }

    private func reset() {
        timer?.cancel()
        timer = nil
        exchange = nil
        head = nil
        body = nil
    }
}
