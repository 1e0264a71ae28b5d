import Hummingbird
import TokendCore

/// Endpoints for people and test suites, in the spirit of moto's: health (always) and
/// reset (only in `open` mode, where no key protects anything anyway).
struct TestEndpoints {
    let frontDoor: FrontDoor

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.get("/_tokend/health", use: health)
        router.post("/_tokend/reset", use: reset)
        // The benchmarks' ceiling: the cheapest answer this server, with its middleware, can give.
        router.get("/_tokend/ping") { _, _ in Response.json(#"{"pong":true}"#) }
    }

    @Sendable func health(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let reports = await withTaskGroup(of: RegionHealth.self) { group in
            for backend in frontDoor.backends.values {
                group.addTask { await backend.health() }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted { $0.region < $1.region }
        }
        var json = JSONWriter()
        json.object { json in
            json.field("status", reports.allSatisfy { $0.state == .ok } ? "ok" : "degraded")
            json.key("regions")
            json.array(reports) { json, report in
                json.object { json in
                    json.field("region", report.region.rawValue)
                    json.field("location", report.location)
                    json.field("state", report.state.rawValue)
                    json.field("latency_us", report.latencyMicroseconds)
                    json.field("last_error", report.lastError)
                }
            }
        }
        return .json(json)
    }

    @Sendable func reset(_ request: Request, context: TokendRequestContext) async throws -> Response {
        guard frontDoor.access.isOpen else {
            throw TokendError.permissionsDenied(action: "reset", resource: "all regions (reset is served in open mode only)")
        }
        let regions = try request.uri.queryParameters["region"].map { name throws(TokendError) in
            [try frontDoor.backend(named: String(name))]
        } ?? frontDoor.servedRegions.compactMap { frontDoor.backends[$0] }
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
