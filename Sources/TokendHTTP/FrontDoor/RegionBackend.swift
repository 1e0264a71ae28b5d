import Hummingbird
import Logging
import ServiceLifecycle
import TokendCore

/// The seam between the front door and a region: the front door gives each backend its
/// region's paths and does not care whether the region runs in this process or elsewhere.
package protocol RegionBackend: Sendable {
    var region: RegionName { get }
    /// `local`, or where the region's server is.
    var location: String { get }
    /// Puts the region's management endpoints (`/cockpit/v1/regions/<region>/…`) on the
    /// front door's router, the one way they reach the region: a local region adds its
    /// controllers' routes, a remote one a relay of its path.
    func addRoutes(to router: Router<TokendRequestContext>)
    /// The data plane's way in: a check of a secret this region issued. The front door owns
    /// `/_tokend/verify` and picks the region by the secret's hint.
    func verify(_ request: Request, context: TokendRequestContext) async throws -> Response
    /// The region's part of xScaler's portal: its own service here, or its server's portal
    /// API signed in as each caller with `sessions` (the JWT key a gateway shares with its regions).
    func tenants(signingWith sessions: PortalSessions) -> (any TenantRegion)?
    func health() async -> RegionHealth
    /// Forgets every token of the region (the test-only reset).
    func reset() async throws
    /// The region's whole state as a store image, and back (the test-only snapshots).
    func exportState() async throws -> [UInt8]
    func importState(_ image: [UInt8]) async throws
    /// Reads the region's clock, or changes it first (the test-only clock); refused where the
    /// region keeps the system's time.
    func clock(_ change: ClockChange?) async throws -> AdjustableClock.Reading
    /// What the region holds open (a store and its usage flush, an HTTP client), for the
    /// application's service group to run and to close when it stops, also on failure.
    func services(logger: Logger) -> [any Service]
}

/// How a region is doing, as a front door sees it.
package struct RegionHealth: Sendable {
    package enum State: String, Sendable { case ok, down }

    package let region: RegionName
    package let location: String
    package let state: State
    package let latencyMicroseconds: Int
    package let lastError: String?
}
