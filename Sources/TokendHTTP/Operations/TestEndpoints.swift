import Hummingbird
import TokendCore

/// Endpoints for test suites, in the spirit of moto's: reset and the regions' clocks, served
/// only in `open` mode, where no key protects anything anyway. Each takes `?region=` for one
/// region, and a front door hands it to every region it serves, remote ones included.
struct TestEndpoints {
    let frontDoor: FrontDoor

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.post("/_tokend/reset", use: reset)
        router.get("/_tokend/clock", use: clock)
        router.put("/_tokend/clock", use: clock)
    }

    /// `GET` reads each region's clock; `PUT` with a `ClockChange` body changes them first.
    @Sendable func clock(_ request: Request, context: TokendRequestContext) async throws -> Response {
        guard frontDoor.access.isOpen else {
            throw TokendError.permissionsDenied(action: "clock", resource: "all regions (the clock is served in open mode only)")
        }
        let regions = try chosenRegions(request)
        let change = request.method == .put ? try ClockChange.parse(body: try await request.jsonBody()) : nil
        var readings: [(region: RegionName, reading: AdjustableClock.Reading)] = []
        for backend in regions { readings.append((backend.region, try await backend.clock(change))) }
        if let change {
            context.logger.notice("clock changed", metadata: ["regions": "\(regions.map(\.region.rawValue))", "change": "\(change)"])
        }
        var json = JSONWriter()
        json.clockReadings(readings)
        return .json(json)
    }

    /// One region (`?region=`), or every region served.
    private func chosenRegions(_ request: Request) throws -> [any RegionBackend] {
        try frontDoor.backends(named: request.uri.queryParameters["region"].map(String.init))
    }

    @Sendable func reset(_ request: Request, context: TokendRequestContext) async throws -> Response {
        guard frontDoor.access.isOpen else {
            throw TokendError.permissionsDenied(action: "reset", resource: "all regions (reset is served in open mode only)")
        }
        let regions = try chosenRegions(request)
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
