import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Synchronization
import TokendCore

/// Counts and times every request by dialect, route template, method, status and region,
/// and logs it: one line per request, at info for the management faces and at debug for
/// verify (which, like nginx's auth subrequests, would otherwise log every collector's push).
///
/// Not Hummingbird's `MetricsMiddleware`: that one records into the process-wide
/// `MetricsSystem` and knows neither dialect nor region. Label values are bounded: routes
/// are templates (`/cockpit/v1/regions/fr-par/tokens/{token_id}`), never paths, and a region
/// is one this server serves, else empty.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext
    let handles: RequestMetricHandles
    var servedRegions: Set<RegionName> { handles.servedRegions }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.verifyRegion = RequestClassifier.verifyRegion(of: request)
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            record(request, status: status, since: started, context: context)
            return response
        } catch {
            record(request, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started, context: context)
            throw error
        }
    }

    private func record(_ request: Request, status: Int, since started: ContinuousClock.Instant, context: Context) {
        handles.record(
            route: context.endpointPath ?? "unmatched", method: request.method, status: status,
            region: region(of: request, context: context), duration: ContinuousClock.now - started, logger: context.logger)
    }

    /// The region a request names where its route does not: its path's `region` or, for a
    /// verify, the region its secret's hint names; a served one only.
    private func region(of request: Request, context: Context) -> RegionName? {
        let named =
            context.parameters.get("region").flatMap { RegionName(String($0)) } ?? context.verifyRegion
        return named.flatMap { servedRegions.contains($0) ? $0 : nil }
    }
}

/// The counter and timer of each (route, method, status, region) seen so far: made on first
/// use and kept, so a request costs one dictionary lookup under a lock, not a registry's.
final class RequestMetricHandles: Sendable {
    struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
        let region: RegionName?
    }

    struct Handles: Sendable {
        let dialect: RequestDialect
        let region: RegionName?
        let count: Counter
        let duration: Timer
    }

    private let factory: any MetricsFactory
    let servedRegions: Set<RegionName>
    private let made = Mutex<[Key: Handles]>([:])

    init(factory: any MetricsFactory, servedRegions: Set<RegionName>) {
        self.factory = factory
        self.servedRegions = servedRegions
    }

    /// Counts and times one answered request and logs its line. `requestID`: for a line
    /// logged outside the request's task (the gateway's channel relay), where
    /// `Logger.MetadataProvider.requestID` has none to add.
    func record(
        route: String, method: HTTPRequest.Method, status: Int, region: RegionName?, duration: Duration, logger: Logger,
        requestID: String? = nil
    ) {
        let recorded = handles(route: route, method: method, status: status, region: region)
        recorded.count.increment()
        recorded.duration.record(duration: duration)
        let level: Logger.Level = recorded.dialect == .dataPlane ? .debug : .info
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "dialect": .string(recorded.dialect.rawValue), "region": .string(recorded.region?.rawValue ?? ""), "route": .string(route),
            "method": .string(method.rawValue), "status": .stringConvertible(status),
            "duration_ms": .stringConvertible(Double(duration.microseconds) / 1000),
        ]
        if let requestID { metadata["request_id"] = .string(requestID) }
        logger.log(level: level, "request", metadata: metadata)
    }

    func handles(route: String, method: HTTPRequest.Method, status: Int, region: RegionName?) -> Handles {
        let key = Key(route: route, method: method, status: status, region: region)
        if let handles = made.withLock({ $0[key] }) { return handles }
        let handles = make(key)
        return made.withLock { made in
            if let existing = made[key] { return existing }
            made[key] = handles
            return handles
        }
    }

    private func make(_ key: Key) -> Handles {
        // A route template classifies like a path: its literal parts name the dialect, and the
        // region of a local region's routes (`/cockpit/v1/regions/fr-par/tokens`).
        let classified = RequestClassifier.classify(method: key.method, path: key.route, verifyRegion: nil)
        let region = key.region ?? classified.region.flatMap { servedRegions.contains($0) ? $0 : nil }
        let dimensions = [
            ("dialect", classified.dialect.rawValue), ("route", key.route), ("method", key.method.rawValue),
            ("status", String(key.status)), ("region", region?.rawValue ?? ""),
        ]
        return Handles(
            dialect: classified.dialect, region: region,
            count: Counter(label: "tokend_http_requests_total", dimensions: dimensions, factory: factory),
            duration: Timer(
                label: "tokend_http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory))
    }
}
