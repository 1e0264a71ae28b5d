import HTTPTypes
import Hummingbird
import TokendCore

/// The one router clients talk to. It owns what every request shares (request ids, the
/// contract's errors, health, reset) and hands `/cockpit/v1/regions/{region}/…` to that
/// region's backend, local or remote.
public struct FrontDoor: Sendable {
    public let backends: [RegionName: any RegionBackend]
    public let access: ManagementAccess
    public let files: ServedFiles

    public init(backends: [any RegionBackend], access: ManagementAccess, files: ServedFiles = .bundled) {
        self.backends = Dictionary(uniqueKeysWithValues: backends.map { ($0.region, $0) })
        self.access = access
        self.files = files
    }

    var servedRegions: [RegionName] { backends.keys.sorted() }

    public func buildRouter() -> Router<TokendRequestContext> {
        let router = Router(context: TokendRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: ContractErrorMiddleware())
        for backend in backends.values { backend.addRoutes(to: router) }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/cockpit/v1/regions/:region/**", method: method) { request, context in
                try await backend(named: context.parameters.require("region")).respond(to: request, context: context)
            }
        }
        for method in VerifyController.methods {
            router.on(VerifyController.path, method: method) { request, context in
                try await routeVerify(request, context: context)
            }
        }
        TestEndpoints(frontDoor: self).addRoutes(to: router)
        files.addRoutes(to: router)
        return router
    }

    /// Sends a verify to the region its secret names (the hint inside it), so no region is
    /// asked about another's secrets. The region checks the secret whole; here, one without a
    /// readable hint, or of a region not served here, is refused without any lookup.
    func routeVerify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let presented = VerifyRequest(authorization: request.headers[.authorization], tenant: nil, operation: nil)
        guard let secret = presented.bearerSecret, let region = SecretFormat.region(of: secret) else {
            return VerifyMode(request).refusal(.authenticationDenied(method: .apiKey, reason: .invalidArgument))
        }
        guard let backend = backends[region] else {
            return VerifyMode(request).refusal(.authenticationDenied(method: .apiKey, reason: .notFound))
        }
        do {
            return try await backend.verify(request, context: context)
        } catch let error as TokendError {
            // A region that cannot answer is still answered in the proxy's terms (nginx mode).
            return VerifyMode(request).refusal(error)
        }
    }

    /// The backend of a region named in a path; an unknown name is an argument error that
    /// names the regions served here.
    func backend(named name: String) throws(TokendError) -> any RegionBackend {
        guard let region = RegionName(name), let backend = backends[region] else {
            throw .invalidArgument("region", .constraint, "unknown region '\(name.prefix(64))'; served regions: "
                + servedRegions.map(\.rawValue).joined(separator: ", "))
        }
        return backend
    }
}
