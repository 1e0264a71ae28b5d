import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A remote region's plain HTTP/1.1 connections, kept open between exchanges: each one a
/// NIO channel with the HTTP client codec and an `UpstreamExchangeHandler`, carrying one
/// exchange at a time. A relayed request costs its bytes through the codec and one hop to
/// the channel's event loop and back; AsyncHTTPClient's per-request state machines, URL
/// parsing and pool bookkeeping cost a gateway ~100 µs of CPU per relayed get (perf, in
/// BENCHMARKS.md), more than the region's whole answer.
///
/// Connections are kept per event loop, and an exchange started on an event loop's thread
/// (tokend runs Swift concurrency on NIO's event loops) uses one of that loop's: the client's
/// request, the region's answer and the task's resumption then stay on one thread, as in an
/// nginx worker, instead of hopping between threads four times.
///
/// Connections open as exchanges need them: as many at once as requests are in flight to the
/// region (the front door holds one per client connection at a time), with no queue of its
/// own; at most `idleLimit` per loop wait for the next one, for less than `idleLifetime`.
final class HTTP1ConnectionPool: UpstreamTransport {
    private let host: String
    private let port: Int
    private let pathPrefix: String
    private let hostHeader: String
    private let group: any EventLoopGroup
    private let connectTimeout: TimeAmount
    private let idle = Mutex(Idle())

    private struct Idle {
        /// By event loop (`ObjectIdentifier` of the loop), the most recently used last.
        var channels: [ObjectIdentifier: [Kept]] = [:]
        var shutDown = false
    }

    private struct Kept {
        let channel: any Channel
        let since: NIODeadline
    }

    /// As many as a busy gateway's clients keep in flight at once (AsyncHTTPClient's pool
    /// had the same soft limit here).
    private static let idleLimit = 256

    /// A region closes a connection idle for 60 s (`Application+build`); one kept for less is
    /// not closed under a request just written to it.
    private static let idleLifetime = TimeAmount.seconds(50)

    /// Nil unless `baseURL` is `http://HOST[:PORT][/PATH]`.
    init?(baseURL: String, connectTimeout: TimeAmount, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        guard let url = URL(string: baseURL), url.scheme == "http", let host = url.host, !host.isEmpty else { return nil }
        self.host = host
        self.port = url.port ?? 80
        self.pathPrefix = url.path
        let hostName = host.contains(":") ? "[\(host)]" : host  // an IPv6 address
        self.hostHeader = url.port.map { "\(hostName):\($0)" } ?? hostName
        self.group = group
        self.connectTimeout = connectTimeout
    }

    func exchange(_ request: UpstreamRequest, within timeout: TimeAmount, answerLimit: Int) async throws(UpstreamFailure)
        -> UpstreamAnswer
    {
        // A client gone before its request was sent: it is not sent at all.
        guard !Task.isCancelled else { throw .cancelled }
        let call = start(request, within: timeout, answerLimit: answerLimit, on: MultiThreadedEventLoopGroup.currentEventLoop)
        do {
            return try await withTaskCancellationHandler {
                try await call.answer.get()
            } onCancel: {
                call.cancel()
            }
        } catch {
            if Task.isCancelled { throw .cancelled }
            throw error as? UpstreamFailure ?? .connection("\(error)")
        }
    }

    /// Sends `request` on a connection of `loop` (kept or new) and gathers its answer: what
    /// `exchange` awaits, and what the gateway's channel relay starts from a channel handler,
    /// where nothing can wait. The answer's callbacks run on `loop`. Off the event loops (nil),
    /// any loop's kept connection, or a new one on the next loop.
    func start(_ request: UpstreamRequest, within timeout: TimeAmount, answerLimit: Int, on loop: (any EventLoop)?) -> UpstreamCall {
        let call = UpstreamCall(on: loop ?? group.next())
        let exchange = Exchange(
            head: head(of: request), body: request.body, answerLimit: answerLimit, deadline: .now() + timeout, call: call)
        guard !idle.withLock({ $0.shutDown }) else {
            call.fail(.connection("the gateway is shutting down"))
            return call
        }
        if let kept = takeIdle(on: loop) {
            // The region may have closed it while it waited: never sent, it then goes on a new
            // one, and once more if that one is closed before the request is written too (a
            // region's idle timeout while the request waited to be sent).
            send(exchange, on: kept, retries: 2)
        } else {
            connectAndSend(exchange, on: loop ?? group.next(), retries: 1)
        }
        return call
    }

    /// One request on its way: what every attempt at sending it needs.
    private struct Exchange: Sendable {
        let head: HTTPRequestHead
        let body: ByteBuffer?
        let answerLimit: Int
        let deadline: NIODeadline
        let call: UpstreamCall
    }

    func shutdown() async {
        let channels = idle.withLock { idle in
            idle.shutDown = true
            defer { idle.channels = [:] }
            return idle.channels.values.flatMap { $0.map(\.channel) }
        }
        for channel in channels { try? await channel.close() }
    }

    private func head(of request: UpstreamRequest) -> HTTPRequestHead {
        var headers = request.headers
        headers.replaceOrAdd(name: "host", value: hostHeader)
        let length = request.body?.readableBytes ?? 0
        // A body is framed by its length: it was read whole before it is sent.
        if length > 0 || request.method == .POST || request.method == .PUT || request.method == .PATCH {
            headers.replaceOrAdd(name: "content-length", value: String(length))
        }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: pathPrefix + request.path, headers: headers)
    }

    private func connectAndSend(_ exchange: Exchange, on loop: any EventLoop, retries: Int) {
        guard !exchange.call.isCancelled else { return exchange.call.fail(.cancelled) }
        connect(on: loop, before: exchange.deadline).whenComplete { result in
            switch result {
            case .success(let channel): self.send(exchange, on: channel, retries: retries)
            case .failure(let error): exchange.call.fail(error as? UpstreamFailure ?? .connection("\(error)"))
            }
        }
    }

    private func send(_ exchange: Exchange, on channel: any Channel, retries: Int) {
        let call = exchange.call
        // Given up on while its connection opened: its request is not sent at all.
        guard call.use(channel) else {
            putBack(channel)
            return call.fail(.cancelled)
        }
        let promise = channel.eventLoop.makePromise(of: UpstreamAnswer.self)
        let taken = channel.eventLoop.makePromise(of: Void.self)
        // Fails only when the channel closed before its handler saw the exchange.
        taken.futureResult.whenFailure { _ in promise.fail(UpstreamFailure.notSent) }
        channel.writeAndFlush(
            UpstreamExchange(
                head: exchange.head, body: exchange.body, answerLimit: exchange.answerLimit, deadline: exchange.deadline,
                promise: promise),
            promise: taken)
        promise.futureResult.whenComplete { result in
            switch result {
            case .success(let answer):
                if call.release() && answer.reusable { self.putBack(channel) } else { channel.close(promise: nil) }
                call.succeed(answer)
            case .failure(UpstreamFailure.notSent) where retries > 0:
                self.connectAndSend(exchange, on: channel.eventLoop, retries: retries - 1)
            case .failure(let error):
                call.fail(error as? UpstreamFailure ?? .connection("\(error)"))
            }
        }
    }

    private func connect(on loop: any EventLoop, before deadline: NIODeadline) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: loop)
            .connectTimeout(min(connectTimeout, max(.zero, deadline - .now())))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamExchangeHandler())
                }
            }
            .connect(host: host, port: port)
            .flatMapErrorThrowing { [hostHeader] error in
                if case ChannelError.connectTimeout = error { throw UpstreamFailure.timeout }
                throw UpstreamFailure.connection("cannot connect to \(hostHeader): \(error)")
            }
    }

    /// Connections waiting for an exchange (tests).
    var idleConnections: Int { idle.withLock { $0.channels.values.reduce(0) { $0 + $1.count } } }

    /// The connection of `loop` that waited least (the likeliest still open), skipping closed
    /// ones and closing those kept too long; off the event loops, any loop's.
    private func takeIdle(on loop: (any EventLoop)?) -> (any Channel)? {
        let oldest = NIODeadline.now() - Self.idleLifetime
        let (found, stale) = idle.withLock { idle -> ((any Channel)?, [any Channel]) in
            var stale: [any Channel] = []
            for key in loop.map({ [ObjectIdentifier($0)] }) ?? Array(idle.channels.keys) {
                while let kept = idle.channels[key]?.popLast() {
                    guard kept.channel.isActive else { continue }
                    guard kept.since > oldest else {
                        // Every one below waited longer still.
                        stale.append(kept.channel)
                        stale += idle.channels[key]?.map(\.channel) ?? []
                        idle.channels[key] = []
                        break
                    }
                    return (kept.channel, stale)
                }
            }
            return (nil, stale)
        }
        for channel in stale { channel.close(promise: nil) }
        return found
    }

    private func putBack(_ channel: any Channel) {
        let key = ObjectIdentifier(channel.eventLoop)
        let kept = idle.withLock { idle in
            guard !idle.shutDown, channel.isActive, idle.channels[key, default: []].count < Self.idleLimit else { return false }
            idle.channels[key, default: []].append(Kept(channel: channel, since: .now()))
            return true
        }
        if !kept { channel.close(promise: nil) }
    }
}
