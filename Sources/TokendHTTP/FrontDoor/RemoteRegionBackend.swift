import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import TokendCore

/// A region served by its own tokend elsewhere: requests are relayed over HTTP (its
/// `UpstreamTransport`). Request bodies are read first (they are at most 64 KiB, the
/// regions' own limit) and answers are read whole too.
/// Management auth is checked by the region itself, so relaying adds
/// no hole. A region that cannot answer properly within its timeouts is a 503
/// `out_of_stock` naming it; nothing is remembered between requests, so a region that
/// comes back is used again at once.
package final class RemoteRegionBackend: RegionBackend {
    package let region: RegionName
    package let baseURL: String
    private let transport: any UpstreamTransport
    /// The transport again where it is plain HTTP/1.1, for the gateway's channel relay.
    private let pool: HTTP1ConnectionPool?
    private let readTimeout: TimeAmount
    private let lastError = Mutex<String?>(nil)
    private let metrics: UpstreamMetrics

    /// `metrics`: where its exchanges are measured (`/metrics`); none by default.
    package init(
        region: RegionName, baseURL: String, connectTimeoutMilliseconds: Int, readTimeoutMilliseconds: Int,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.region = region
        self.metrics = UpstreamMetrics(region: region, factory: metrics)
        self.baseURL = baseURL
        self.readTimeout = .milliseconds(Int64(readTimeoutMilliseconds))
        let connectTimeout = TimeAmount.milliseconds(Int64(connectTimeoutMilliseconds))
        // Plain `http://` base URLs (a gateway's regions on a private network) get pooled
        // HTTP/1.1 connections; `https://` ones AsyncHTTPClient, which brings TLS.
        self.pool = HTTP1ConnectionPool(baseURL: baseURL, connectTimeout: connectTimeout)
        self.transport = pool ?? AsyncHTTPClientTransport(baseURL: baseURL, connectTimeout: connectTimeout, readTimeout: readTimeout)
    }

    package var location: String { baseURL }

    /// Every request under the region's path is relayed as it came: the region routes it.
    package func addRoutes(to router: Router<TokendRequestContext>) {
        for method in RegionPaths.methods {
            router.on(RouterPath(RegionPaths.root(of: region.rawValue) + "/**"), method: method) { request, context in
                try await self.relay(request, context: context)
            }
        }
    }

    package func verify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        try await relay(request, context: context)
    }

    /// The region's portal, through its server's portal API, signed in as each caller.
    package func tenants(signingWith sessions: PortalSessions) -> (any TenantRegion)? {
        RemoteTenantRegion(backend: self, sessions: sessions)
    }

    /// The region's connections stay open until the application stops.
    package func services(logger: Logger) -> [any Service] { [UpstreamTransportService(transport: transport)] }

    private func relay(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: RequestLimits.bodyBytes)
        let answer = try await send(
            Self.relayed(request.head, requestID: context.requestID, body: body.readableBytes > 0 ? body : nil), logger: context.logger)
        return Response(
            status: .init(code: Int(answer.status.code)), headers: HopByHop.relayedAnswer(answer.headers),
            body: .init(byteBuffer: answer.body))
    }

    /// A client's request as it goes to the region: its hop-by-hop headers dropped, its id
    /// sent along so one id follows it across the hop.
    static func relayed(_ head: HTTPRequest, requestID: String, body: ByteBuffer?) -> UpstreamRequest {
        var headers = HopByHop.relayed(head.headerFields)
        headers.replaceOrAdd(name: "X-Request-Id", value: requestID)
        return UpstreamRequest(HTTPMethod(rawValue: head.method.rawValue), head.path ?? "/", headers: headers, body: body)
    }

    package func health() async -> RegionHealth {
        let started = ContinuousClock.now
        var failure: String?
        do {
            let answer = try await send(UpstreamRequest(.GET, "/_tokend/health"), logger: nil)
            guard let report = try? JSONDecoder().decode(HealthReport.self, from: Data(buffer: answer.body)) else {
                throw unavailable("its health answer is not a tokend health report")
            }
            let mine = report.regions.first { $0.region == region.rawValue }
            if mine?.state != RegionHealth.State.ok.rawValue {
                failure = mine?.lastError ?? "the server at \(baseURL) does not serve \(region) healthily"
            }
        } catch let error as TokendError {
            failure = error.message
        } catch {
            failure = "\(error)"
        }
        if let failure { lastError.withLock { $0 = failure } }
        return RegionHealth(
            region: region, location: location, state: failure == nil ? .ok : .down,
            latencyMicroseconds: (ContinuousClock.now - started).microseconds,
            lastError: failure ?? lastError.withLock { $0 })
    }

    /// What a region's server says of itself at `/_tokend/health` (see `OperationsEndpoints`).
    private struct HealthReport: Decodable {
        struct Region: Decodable {
            let region: String
            let state: String
            let lastError: String?

            enum CodingKeys: String, CodingKey {
                case region, state
                case lastError = "last_error"
            }
        }

        let regions: [Region]
    }

    package func reset() async throws {
        let answer = try await send(UpstreamRequest(.POST, "/_tokend/reset?region=" + region.rawValue), logger: nil)
        switch answer.status {
        case .ok: return
        case .forbidden: throw TokendError.permissionsDenied(action: "reset", resource: "region \(region) (its server refuses resets)")
        default: throw unavailable("its reset answered \(answer.status.code)")
        }
    }

    /// The region server's `/_tokend/state` (open mode only), as base64 in JSON.
    package func exportState() async throws -> [UInt8] {
        let answer = try await send(UpstreamRequest(.GET, "/_tokend/state?region=" + region.rawValue), logger: nil)
        guard answer.status == .ok else { throw stateRefusal(answer.status.code, "export") }
        guard let state = try? JSONDecoder().decode(RegionState.self, from: Data(buffer: answer.body)),
            let image = Data(base64Encoded: state.image)
        else { throw unavailable("its state answer is not a tokend state") }
        return Array(image)
    }

    package func importState(_ image: [UInt8]) async throws {
        var json = JSONWriter()
        json.regionState(region, image: image)
        let answer = try await send(
            UpstreamRequest(
                .PUT, "/_tokend/state?region=" + region.rawValue, headers: ["Content-Type": "application/json"],
                body: ByteBuffer(bytes: json.bytes)),
            logger: nil)
        switch answer.status {
        case .ok: return
        case .badRequest:
            guard let refusal = try? JSONDecoder().decode(ArgumentRefusal.self, from: Data(buffer: answer.body)) else {
                throw unavailable("its state import answered 400 without the contract's body")
            }
            throw TokendError.invalidArguments(refusal.problems)
        default: throw stateRefusal(answer.status.code, "import")
        }
    }

    private func stateRefusal(_ status: UInt, _ what: String) -> TokendError {
        status == 403
            ? .permissionsDenied(action: "snapshot", resource: "region \(region) (its server serves snapshots in open mode only)")
            : unavailable("its state \(what) answered \(status)")
    }

    package func clock(_ change: ClockChange?) async throws -> AdjustableClock.Reading {
        var request = UpstreamRequest(.GET, "/_tokend/clock?region=" + region.rawValue)
        if let change {
            var json = JSONWriter()
            json.clockChange(change)
            request.method = .PUT
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = ByteBuffer(bytes: json.bytes)
        }
        let answer = try await send(request, logger: nil)
        switch answer.status {
        case .ok:
            guard let report = try? JSONDecoder().decode(ClockReport.self, from: Data(buffer: answer.body)),
                let reading = report.regions.first(where: { $0.region == region.rawValue })?.reading
            else { throw unavailable("its clock answer is not a tokend clock report") }
            return reading
        case .badRequest:
            // The region refused the change (it would leave years 1 to 9999): in its own words.
            guard let refusal = try? JSONDecoder().decode(ArgumentRefusal.self, from: Data(buffer: answer.body)) else {
                throw unavailable("its clock answered 400 without the contract's body")
            }
            throw TokendError.invalidArguments(refusal.problems)
        case .forbidden:
            throw TokendError.permissionsDenied(action: "clock", resource: "region \(region) (its server keeps the system's time)")
        default: throw unavailable("its clock answered \(answer.status.code)")
        }
    }

    /// Sends one request and reads its whole answer; anything but a JSON answer in time is
    /// the region being unavailable. Answers are read whole before they are relayed: one
    /// write to the client instead of one per chunk, and a region that stalls or breaks off
    /// mid-answer is a 503 rather than a cut-off body.
    func send(_ request: UpstreamRequest, logger: Logger?) async throws(TokendError) -> UpstreamAnswer {
        let started = ContinuousClock.now
        let result: Result<UpstreamAnswer, UpstreamFailure>
        do {
            result = .success(try await transport.exchange(request, within: readTimeout, answerLimit: Self.answerBytes))
        } catch {
            result = .failure(error)
        }
        return try accepted(result, since: started, logger: logger).get()
    }

    /// Whether the gateway's channel relay can carry this region's requests: plain HTTP/1.1
    /// (over `https://`, AsyncHTTPClient brings TLS and requests go through the router).
    var relaysOnChannels: Bool { pool != nil }

    /// Starts `request` on a connection of `loop`, for the gateway's channel relay, which
    /// hands what it gets to `accepted`; nil where `relaysOnChannels` is false.
    func startRelay(_ request: UpstreamRequest, on loop: any EventLoop) -> UpstreamCall? {
        pool?.start(request, within: readTimeout, answerLimit: Self.answerBytes, on: loop)
    }

    /// An exchange's outcome as the region's answer, or the region's 503 saying why: measured,
    /// and a failure remembered for health and logged. Anything but a JSON answer in time is
    /// the region being unavailable.
    func accepted(
        _ result: Result<UpstreamAnswer, UpstreamFailure>, since started: ContinuousClock.Instant,
        logger: @autoclosure () -> Logger?
    ) -> Result<UpstreamAnswer, TokendError> {
        func failure(_ kind: UpstreamMetrics.Failure, _ why: String, _ cause: String?) -> Result<UpstreamAnswer, TokendError> {
            metrics.failed(kind, after: ContinuousClock.now - started)
            return .failure(recordFailure(unavailable(why), cause: cause, logger: logger()))
        }
        switch result {
        case .failure(.timeout): return failure(.timeout, "no answer within \(readTimeout.nanoseconds / 1_000_000) ms", nil)
        case .failure(.tooLarge): return failure(.tooLarge, "its answer is over \(Self.answerBytes) bytes", nil)
        // The client went away: nothing is known of the region, so nothing is recorded.
        case .failure(.cancelled): return .failure(unavailable("the request was cancelled"))
        case .failure(.connection(let cause)): return failure(.connection, "no complete HTTP answer from its server", cause)
        case .failure(.notSent): return failure(.connection, "no complete HTTP answer from its server", "the connection closed unused")
        case .success(let answer):
            guard answer.isJSON else { return failure(.notJSON, "its server answered \(answer.status.code) without JSON", nil) }
            metrics.answered(in: ContinuousClock.now - started)
            return .success(answer)
        }
    }

    /// Far above any answer a region gives: a page of 1,000 tokens is about 0.5 MB, a
    /// snapshot of a region's state (`exportState`) about 1.3 KB a token.
    private static let answerBytes = Snapshots.maximumBytes

    private func unavailable(_ why: String) -> TokendError {
        .unavailable(resource: "region \(region)", message: "region \(region) is unavailable: \(why)")
    }

    private func recordFailure(_ error: TokendError, cause: String?, logger: Logger?) -> TokendError {
        let description = cause.map { "\(error.message) (\($0))" } ?? error.message
        lastError.withLock { $0 = description }
        logger?.warning("region unavailable", metadata: ["region": "\(region)", "location": "\(baseURL)", "cause": "\(description)"])
        return error
    }
}
