import Hummingbird
import TokendCore

/// How a region is doing, as a front door sees it.
public struct RegionHealth: Sendable {
    public enum State: String, Sendable { case ok, down }

    public let region: RegionName
    public let location: String
    public let state: State
    public let latencyMicroseconds: Int
    public let lastError: String?
}

/// The seam between the front door and a region: the router hands a region's requests to
/// its backend and does not care whether the region runs in this process or elsewhere.
public protocol RegionBackend: Sendable {
    var region: RegionName { get }
    /// `local`, or where the region's server is.
    var location: String { get }
    /// Routes the backend answers itself, put on the front door's router ahead of its
    /// `/cockpit/v1/regions/{region}/**` catch-all so such requests are routed once.
    func addRoutes(to router: Router<TokendRequestContext>)
    /// A request of the region's paths that no route of `addRoutes` took.
    func respond(to request: Request, context: TokendRequestContext) async throws -> Response
    /// A data-plane check of a secret this region issued.
    func verify(_ request: Request, context: TokendRequestContext) async throws -> Response
    func health() async -> RegionHealth
    /// Forgets every token of the region (the test-only reset).
    func reset() async throws
}
