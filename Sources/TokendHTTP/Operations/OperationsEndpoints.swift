import Hummingbird
import TokendCore

/// Endpoints for operators and load balancers, served in every mode: each region's health,
/// and a ping.
struct OperationsEndpoints {
    let frontDoor: FrontDoor

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.get("/_tokend/health", use: health)
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
            json.field("version", TokendVersion.current)
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
}
