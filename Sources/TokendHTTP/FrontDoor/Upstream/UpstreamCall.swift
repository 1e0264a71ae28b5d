import NIOCore
import Synchronization

/// One exchange with a region's server in flight: its answer to come, and a way to give up
/// on it. Giving up closes the connection it went out on (its state is then unknown) and
/// keeps a connection not yet used from being used at all.
final class UpstreamCall: Sendable {
    let answer: EventLoopFuture<UpstreamAnswer>
    private let promise: EventLoopPromise<UpstreamAnswer>
    private let state = Mutex<State>(State())

    private struct State {
        var channel: (any Channel)?
        var cancelled = false
    }

    init(on loop: any EventLoop) {
        promise = loop.makePromise()
        answer = promise.futureResult
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func cancel() {
        let channel = state.withLock { state in
            state.cancelled = true
            return state.channel
        }
        channel?.close(promise: nil)
    }

    /// Marks `channel` as the one the exchange goes out on; false once given up.
    func use(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.cancelled else { return false }
            state.channel = channel
            return true
        }
    }

    /// Lets go of the connection the exchange went out on, answered whole: true when it may go
    /// back to the pool, false when given up (it is then closed). A cancel after this closes
    /// nothing, so it cannot close a connection the pool has handed to another exchange.
    func release() -> Bool {
        state.withLock { state in
            state.channel = nil
            return !state.cancelled
        }
    }

    func succeed(_ answer: UpstreamAnswer) { promise.succeed(answer) }

    func fail(_ failure: UpstreamFailure) { promise.fail(isCancelled ? UpstreamFailure.cancelled : failure) }
}
