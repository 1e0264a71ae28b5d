import HTTPTypes
import Hummingbird
import NIOCore
import TokendCore

/// What a fake cloud does to every request in open mode: writes it in the journal and
/// applies the fault rules in force. Outside the contract's error middleware, so what it
/// records is the answer as sent, and what it injects is final.
struct FakeCloudMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext
    let fakeCloud: FakeCloud

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await answer(request, context: context, next: next)
        } catch {
            record(request, status: 500, since: started, context: context)
            throw error
        }
        // A dropped answer is journalled as status 0: the client got none.
        record(request, status: response.headers[.tokendDropped] == nil ? response.status.code : 0, since: started, context: context)
        response.headers[.tokendDropped] = nil
        return response
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard fakeCloud.faults.isArmed else { return try await next(request, context) }
        let classified = RequestClassifier.classify(method: request.method, path: request.uri.path, verifyRegion: context.verifyRegion)
        switch fakeCloud.faults.effect(for: classified) {
        case nil:
            return try await next(request, context)
        case .delay(let milliseconds)?:
            try await Task.sleep(for: .milliseconds(milliseconds))
            return try await next(request, context)
        case .status(let status, let retryAfter)?:
            context.logger.notice("fault injected", metadata: ["status": "\(status)", "operation": "\(classified.operation)"])
            return Self.injected(status, retryAfter: retryAfter, for: classified, request)
        case .drop?:
            context.logger.notice("fault injected", metadata: ["effect": "drop", "operation": "\(classified.operation)"])
            // The connection closes before a byte of the answer; the body below fails too, so a
            // transport without a connection (the tests' router) still sees no answer.
            try? await context.channel.close()
            return Response(status: .ok, headers: [.tokendDropped: "1"], body: ResponseBody { _ in throw DroppedOnPurpose() })
        }
    }

    private func record(_ request: Request, status: Int, since started: ContinuousClock.Instant, context: Context) {
        fakeCloud.journal.record(
            RequestJournal.Entry(
                at: .now(), method: request.method, path: request.uri.path, verifyRegion: context.verifyRegion,
                status: status, durationMicroseconds: (ContinuousClock.now - started).microseconds, requestID: context.requestID))
    }

    /// The error a dialect's own server would answer.
    static func injected(_ status: Int, retryAfter: Int?, for request: ClassifiedRequest, _ original: Request) -> Response {
        let why = "injected fault (POST /_tokend/faults)"
        let error: TokendError? =
            switch status {
            case 429: .tooManyRequests(message: "too many requests: \(why)", retryAfterSeconds: retryAfter ?? 1)
            case 503: .unavailable(resource: request.region.map { "region \($0)" } ?? "service", message: "unavailable: \(why)")
            default: nil
            }
        switch (request.dialect, error) {
        case (.xscaler, let error?): return .portalError(error)
        case (.xscaler, nil):
            return .json(#"{"error":"internal_error","message":"internal error: injected fault"}"#, status: .internalServerError)
        case (.dataPlane, let error?): return VerifyMode(original).refusal(error)
        case (_, let error?): return .contractError(error)
        case (_, nil): return .json(internalErrorJSON, status: .internalServerError)
        }
    }
}

struct DroppedOnPurpose: Error {}

/// A fake cloud's state beside the regions: the journal and the fault rules.
package final class FakeCloud: Sendable {
    let journal = RequestJournal()
    let faults: FaultInjector
    let snapshots = Snapshots()

    package init(seed: UInt64? = nil) { faults = FaultInjector(seed: seed) }
}
