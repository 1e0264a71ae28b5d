import Hummingbird
import TokendCore

/// A region served in this process: its requests go straight to its own router and
/// service, with no HTTP hop.
public struct LocalRegionBackend: RegionBackend {
    public let service: RegionTokenService
    private let responder: RouterResponder<TokendRequestContext>

    public init(service: RegionTokenService, access: ManagementAccess) {
        self.service = service
        let router = Router(context: TokendRequestContext.self)
        // Rendered here too: a router answers errors that carry a status itself, with an
        // empty body, before an outer middleware could see them.
        router.add(middleware: ContractErrorMiddleware())
        TokensController(service: service, access: access).addRoutes(to: router)
        VerifyController(verifier: service.verifier).addRoutes(to: router)
        self.responder = router.buildResponder()
    }

    public var region: RegionName { service.region }
    public var location: String { "local" }

    public func respond(to request: Request, context: TokendRequestContext) async throws -> Response {
        try await responder.respond(to: request, context: context)
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
