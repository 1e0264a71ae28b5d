import Hummingbird
import TokendCore

/// Endpoints for test suites, in the spirit of moto's: reset, served only in `open` mode,
/// where no key protects anything anyway.
struct TestEndpoints {
    let frontDoor: FrontDoor

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.post("/_tokend/reset", use: reset)
    }

    @Sendable func reset(_ request: Request, context: TokendRequestContext) async throws -> Response {
        guard frontDoor.access.isOpen else {
            throw TokendError.permissionsDenied(action: "reset", resource: "all regions (reset is served in open mode only)")
        }
        let regions =
            try request.uri.queryParameters["region"].map { name throws(TokendError) in
                [try frontDoor.backend(named: String(name))]
            } ?? frontDoor.servedBackends
        // Every region is tried, so one that is down does not keep the others from being reset.
        var failures: [any Error] = []
        for backend in regions {
            do { try await backend.reset() } catch { failures.append(error) }
        }
        if let failure = failures.first { throw failure }
        context.logger.notice("store reset", metadata: ["regions": "\(regions.map(\.region.rawValue))"])
        var json = JSONWriter()
        json.object { json in
            json.key("reset")
            json.array(regions) { json, backend in json.string(backend.region.rawValue) }
        }
        return .json(json)
    }
}
