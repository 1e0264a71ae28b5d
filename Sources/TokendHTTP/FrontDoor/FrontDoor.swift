import HTTPTypes
import Hummingbird
import Metrics
import TokendCore

/// The one router clients talk to. It owns what every request shares (request ids, the
/// contract's errors, health, reset, served files), lets each region's backend put its
/// `/cockpit/v1/regions/{region}/…` routes on it, and sends each verify to the region its
/// secret names.
package struct FrontDoor: Sendable {
    package let backends: [RegionName: any RegionBackend]
    package let access: ManagementAccess
    package let files: ServedFiles
    /// xScaler's portal, served at the root beside the Cockpit paths; nil where no region
    /// is served in this process (a gateway's regions serve their own).
    package let portal: PortalFace?
    /// The request journal and fault rules test suites drive; open mode only.
    package let fakeCloud: FakeCloud?
    /// What `/metrics` exports; nil with `--no-metrics` (requests are still logged).
    package let metrics: MetricsExporter?
    let requestMetrics: RequestMetricHandles

    /// `seed`: what fault rules draw from (`--seed`), so a run repeats. `metrics`: the
    /// exporter the backends were given the factory of.
    package init(
        backends: [any RegionBackend], access: ManagementAccess, files: ServedFiles = .bundled, portal: PortalFace? = nil,
        seed: UInt64? = nil, metrics: MetricsExporter? = nil
    ) {
        self.metrics = metrics
        self.requestMetrics = RequestMetricHandles(
            factory: metrics?.factory ?? NOOPMetricsHandler.instance, servedRegions: Set(backends.map(\.region)))
        self.backends = Dictionary(uniqueKeysWithValues: backends.map { ($0.region, $0) })
        self.access = access
        self.files = files
        self.portal = portal
        self.fakeCloud = access.isOpen ? FakeCloud(seed: seed) : nil
    }

    var servedRegions: [RegionName] { backends.keys.sorted() }

    /// Every backend, in the order of their regions' names.
    var servedBackends: [any RegionBackend] { backends.values.sorted { $0.region < $1.region } }

    package func buildRouter() -> Router<TokendRequestContext> {
        let router = Router(context: TokendRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestMetricsMiddleware(handles: requestMetrics))
        if let fakeCloud { router.add(middleware: FakeCloudMiddleware(fakeCloud: fakeCloud)) }
        router.add(middleware: ContractErrorMiddleware())
        router.add(middleware: files.middleware())
        if portal != nil { router.add(middleware: PortalPathsMiddleware()) }
        // Each region's routes go on this one router, not on a router of the region's own: a
        // request routed twice cost ~3% of a verify (BENCHMARKS.md, 372dd91).
        for backend in backends.values { backend.addRoutes(to: router) }
        // What no region's routes took: an unknown region, or a path no region has.
        for method in RegionPaths.methods {
            router.on(RouterPath(RegionPaths.root(of: ":region") + "/**"), method: method) { _, context -> Response in
                _ = try backend(named: context.parameters.require("region"))
                throw HTTPError(.notFound)
            }
        }
        for method in VerifyController.methods {
            router.on(VerifyController.path, method: method) { request, context in
                try await routeVerify(request, context: context)
            }
        }
        if let portal { PortalController(face: portal).addRoutes(to: router) }
        OperationsEndpoints(frontDoor: self).addRoutes(to: router)
        if let metrics { MetricsEndpoint(exporter: metrics).addRoutes(to: router) }
        TestEndpoints(frontDoor: self).addRoutes(to: router)
        FakeCloudEndpoints(fakeCloud: fakeCloud).addRoutes(to: router)
        SnapshotEndpoints(frontDoor: self).addRoutes(to: router)
        return router
    }

    /// Sends a verify to the region its secret names (the hint inside it), so no region is
    /// asked about another's secrets. The region checks the secret whole; here, one without a
    /// readable hint, or of a region not served here, is refused without any lookup.
    func routeVerify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let secret = BearerSecret.presented(in: request)
        if let secret, XScalerKeyFormat.claims(secret) { return try await routeKeyVerify(request, context: context) }
        guard let secret, let region = context.verifyRegion ?? SecretFormat.region(of: secret) else {
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

    /// Sends an xScaler key's verify to its tenant's region: the key names no region, its
    /// `X-Scope-OrgID` does, through the portal's directory. A tenant header that is not an
    /// xScaler id (absent, malformed, or the tenant's project UUID) goes to every region in
    /// turn until one knows the key; the first region answers a header that none can read.
    func routeKeyVerify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let mode = VerifyMode(request)
        let tenant = request.headers.value(.scopeOrgID).flatMap { $0.split(separator: "|").first }.flatMap(TenantID.init)
        do {
            if let tenant, let portal {
                guard let backend = backends[try await portal.portal.region(of: tenant).region] else {
                    return mode.refusal(.authenticationDenied(method: .apiKey, reason: .notFound))
                }
                return try await backend.verify(request, context: context)
            }
            var answer: Response?
            for backend in servedBackends {
                let response = try await backend.verify(request, context: context)
                if response.status != .unauthorized { return response }
                answer = answer ?? response
            }
            return answer ?? mode.refusal(.authenticationDenied(method: .apiKey, reason: .notFound))
        } catch TokendError.notFound {
            // No region holds the tenant: the key cannot be one of its keys.
            return mode.refusal(.authenticationDenied(method: .apiKey, reason: .notFound))
        } catch let error as TokendError {
            return mode.refusal(error)
        }
    }

    /// The one region named (a test endpoint's `?region=` or `"region"`), or every region served.
    func backends(named name: String?) throws(TokendError) -> [any RegionBackend] {
        guard let name else { return servedBackends }
        return [try backend(named: name)]
    }

    /// The backend of a region named in a path; an unknown name is an argument error that
    /// names the regions served here.
    func backend(named name: String) throws(TokendError) -> any RegionBackend {
        guard let region = RegionName(name), let backend = backends[region] else {
            throw .invalidArgument(
                "region", .constraint,
                "unknown region '\(name.prefix(64))'; served regions: "
                    + servedRegions.map(\.rawValue).joined(separator: ", "))
        }
        return backend
    }
}
