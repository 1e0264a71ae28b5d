import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization
import TokendCore

/// One client connection's relay, between Hummingbird's connection-state handler and its
/// async channel: a request `ChannelRelay` takes is gathered here, sent on a pooled upstream
/// connection of the same event loop and answered from here; every other request goes on
/// to the router untouched. Answers leave in the order requests came (HTTP/1.1 pipelining):
/// a taken request waits for the router's earlier answers, and what arrives while it waits
/// or is relayed is held, with reading paused, until its answer is written. The
/// connection-state handler before this one still sees every request and answer, so idle
/// timeouts and graceful shutdown count relayed requests too.
final class ChannelRelayHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let relay: ChannelRelay
    /// The request taken, from its head until its answer is written.
    private var taken: Taken?
    /// Requests handed to the router whose answers have not ended yet.
    private var routedInFlight = 0
    /// What arrived while the taken request waited or was relayed, in order.
    private var held = CircularBuffer<HTTPRequestPart>()
    private var readHeld = false
    private var inputClosedHeld = false
    private var errorHeld: (any Error)?
    /// The request being read asked to close the connection after its answer.
    private var closesAfterThis = false
    /// A request that asked to close was read whole: nothing after it is read.
    private var closing = false

    private struct Taken {
        let head: HTTPRequest
        let target: ChannelRelay.Target
        let started = ContinuousClock.now
        /// When it went to the region: the exchange is timed from here, not from its arrival.
        var sent = ContinuousClock.now
        var body: ByteBuffer?
        var phase = Phase.gathering
        var requestID = ""
    }

    private enum Phase {
        case gathering
        /// Whole, waiting for the router's earlier answers.
        case waiting
        case relaying(UpstreamCall)
    }

    init(relay: ChannelRelay) { self.relay = relay }

    /// Parts wait while a whole taken request has not been answered.
    private var holding: Bool {
        guard let taken else { return false }
        if case .gathering = taken.phase { return false }
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if holding { return held.append(part) }
        if handle(part, context: context) { context.fireChannelRead(data) }
    }

    /// Takes `part` for the relay, or says it goes on to the router (true).
    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) -> Bool {
        // The router reads nothing after a request that asked to close; neither does the relay.
        if closing { return false }
        switch part {
        case .head(let head):
            if let target = relay.target(for: head) {
                taken = Taken(head: head, target: target)
                closesAfterThis = HopByHop.asksToClose(head.headerFields)
                return false
            }
            routedInFlight += 1
            // Hummingbird's own test: its connection loop ends after this request's answer.
            closesAfterThis = head.headerFields[.connection] == "close"
            return true
        case .body(var buffer):
            guard taken != nil else { return true }
            if taken!.body == nil { taken!.body = buffer } else { taken!.body!.writeBuffer(&buffer) }
            return false
        case .end:
            closing = closesAfterThis
            guard taken != nil else { return true }
            taken!.phase = .waiting
            startWhenClear(context: context)
            return false
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        // The router's answer ended: a taken request waiting behind it may go.
        guard case .end = unwrapOutboundIn(data) else { return }
        routedInFlight = max(0, routedInFlight - 1)
        startWhenClear(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if holding || !held.isEmpty { readHeld = true } else { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The router closes its side once the client's input ends; not under an answer to come.
        if case ChannelEvent.inputClosed = event, taken != nil || !held.isEmpty {
            inputClosedHeld = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A parse error after a request awaiting its answer waits behind it: the router answers
    /// it with a 400 and closes the connection, which would cut that answer off.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if taken != nil || !held.isEmpty {
            errorHeld = errorHeld ?? error
            return
        }
        context.fireErrorCaught(error)
    }

    /// The client went away: its relay is given up. Here rather than in `channelInactive`,
    /// which the connection-state handler before this one does not pass on.
    func handlerRemoved(context: ChannelHandlerContext) {
        if case .relaying(let call) = taken?.phase { call.cancel() }
        taken = nil
        held.removeAll()
    }

    private func startWhenClear(context: ChannelHandlerContext) {
        guard routedInFlight == 0, var taken, case .waiting = taken.phase else { return }
        taken.requestID = RequestIDMiddleware.acceptable(taken.head.headerFields[.requestID]) ?? CanonicalUUID.unseeded().rawValue
        let request = RemoteRegionBackend.relayed(taken.head, requestID: taken.requestID, body: taken.body)
        taken.sent = .now
        guard let call = taken.target.backend.startRelay(request, on: context.eventLoop) else {
            // Not reached (the relay takes only regions that relay on channels), but never a wedge.
            let call = UpstreamCall(on: context.eventLoop)
            call.fail(.connection("the region is not reached over plain HTTP"))
            taken.phase = .relaying(call)
            self.taken = taken
            return answer(.failure(.connection("the region is not reached over plain HTTP")), context: context)
        }
        taken.phase = .relaying(call)
        self.taken = taken
        call.answer.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            self.answer(result.mapError { $0 as? UpstreamFailure ?? .connection("\($0)") }, context: context)
        }
    }

    private func answer(_ result: Result<UpstreamAnswer, UpstreamFailure>, context: ChannelHandlerContext) {
        guard let taken, case .relaying = taken.phase else { return }  // the client went away meanwhile
        self.taken = nil
        let answer = whole(
            taken.target.backend.accepted(result, since: taken.sent, logger: logger(for: taken)), for: taken)
        relay.record(taken.head, to: taken.target, status: answer.head.status.code, since: taken.started, requestID: taken.requestID)
        context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
        if answer.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(answer.body)), promise: nil) }
        // A client that asked for `Connection: close` gets it after its answer.
        if HopByHop.asksToClose(taken.head.headerFields) {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        resumeHeld(context: context)
    }

    /// The region's answer as the client gets it, or the 503 the router would have answered.
    private func whole(_ outcome: Result<UpstreamAnswer, TokendError>, for taken: Taken) -> WholeAnswer {
        switch outcome {
        case .success(let answer):
            var fields = HopByHop.relayedAnswer(answer.headers, keepingDate: true)
            fields[.requestID] = taken.requestID
            if fields[.contentLength] == nil { fields[.contentLength] = String(answer.body.readableBytes) }
            if fields[.date] == nil { fields[.date] = Self.httpDate(.now) }
            return WholeAnswer(head: HTTPResponse(status: .init(code: Int(answer.status.code)), headerFields: fields), body: answer.body)
        case .failure(let error):
            var refusal: WholeAnswer
            if taken.target.isVerify {
                refusal = VerifyMode(URI(taken.head.path ?? "/").queryParameters).refusalAnswer(error)
            } else {
                ContractErrorMiddleware.logRefusal(
                    error, method: taken.head.method, path: URI(taken.head.path ?? "/").path, logger: logger(for: taken))
                refusal = WholeAnswer.contractError(error)
            }
            refusal.head.headerFields[.contentLength] = String(refusal.body.readableBytes)
            refusal.head.headerFields[.requestID] = taken.requestID
            refusal.head.headerFields[.date] = Self.httpDate(.now)
            return refusal
        }
    }

    /// The relay's logger with the request's id, as the router's lines have it (there, a
    /// task-local adds it); made only for a line to log.
    private func logger(for taken: Taken) -> Logger {
        var logger = relay.logger
        logger[metadataKey: "request_id"] = .string(taken.requestID)
        return logger
    }

    /// What came while the answer was awaited, handled now in order, and reading resumed.
    private func resumeHeld(context: ChannelHandlerContext) {
        var routed = false
        while !holding, let part = held.popFirst() {
            if handle(part, context: context) {
                context.fireChannelRead(wrapInboundOut(part))
                routed = true
            }
        }
        // The router's async channel takes what was read at a read's end.
        if routed { context.fireChannelReadComplete() }
        guard !holding else { return }
        if let error = errorHeld, held.isEmpty {
            errorHeld = nil
            context.fireErrorCaught(error)
        }
        if inputClosedHeld && taken == nil {
            inputClosedHeld = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    /// An IMF-fixdate (RFC 9110), for the relay's own refusals and a region's answer without
    /// one (tokend's regions send theirs, which is kept).
    private static func httpDate(_ date: Date) -> String { imfFixdate.withLock { $0.string(from: date) } }

    private static let imfFixdate = Mutex<DateFormatter>(
        {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            return formatter
        }())
}
