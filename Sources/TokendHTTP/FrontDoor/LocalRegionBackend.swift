import Hummingbird
import TokendCore

/// A region served in this process: its routes sit on the front door's own router, so its
/// requests reach its service with no HTTP hop and no second routing.
public struct LocalRegionBackend: RegionBackend {
    public let service: RegionTokenService
    private let tokens: TokensController
    private let verifier: VerifyController

    public init(service: RegionTokenService, access: ManagementAccess) {
        self.service = service
        self.tokens = TokensController(service: service, access: access)
        self.verifier = VerifyController(verifier: service.verifier)
    }

    public var region: RegionName { service.region }
    public var location: String { "local" }

    public func addRoutes(to router: Router<TokendRequestContext>) {
        tokens.addRoutes(to: router)
    }

    /// Every endpoint is one of `addRoutes`: a request that gets here matched none of them.
    public func respond(to request: Request, context: TokendRequestContext) async throws -> Response {
        throw HTTPError(.notFound)
    }

    public func verify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        try await verifier.verify(request, context: context)
    }

    public func health() async -> RegionHealth {
        let started = Timestamp.now()
        var failure: String?
        do { try await service.checkHealth() } catch { failure = "\(error)" }
        return RegionHealth(region: region, location: location, state: failure == nil ? .ok : .down,
                            latencyMicroseconds: Int(Timestamp.now().microsecondsSinceEpoch - started.microsecondsSinceEpoch),
                            lastError: failure)
    }

    public func reset() async throws { try await service.removeAll() }
}
