import Hummingbird
import TokendCore

/// The fake cloud's test endpoints, open mode only (403 otherwise, like reset and the clock):
///
///     POST /_tokend/faults      add a fault rule        GET /_tokend/requests?limit=N
///     GET /_tokend/faults       the rules, with hits    the latest requests, newest first
///     DELETE /_tokend/faults    clear them
struct FakeCloudEndpoints {
    let fakeCloud: FakeCloud?

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.post("/_tokend/faults", use: addFault)
        router.get("/_tokend/faults", use: listFaults)
        router.delete("/_tokend/faults", use: clearFaults)
        router.get("/_tokend/requests", use: requests)
    }

    @Sendable func addFault(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let fakeCloud = try openMode("faults")
        let rule = fakeCloud.faults.add(try FaultRule.parse(body: try await request.jsonBody()))
        context.logger.notice("fault rule added", metadata: ["rule": "\(rule)"])
        var json = JSONWriter()
        json.faultRule(rule, fired: 0)
        return .json(json, status: .created)
    }

    @Sendable func listFaults(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let fakeCloud = try openMode("faults")
        var json = JSONWriter()
        json.object { json in
            json.key("faults")
            json.array(fakeCloud.faults.rules) { json, entry in json.faultRule(entry.rule, fired: entry.fired) }
        }
        return .json(json)
    }

    @Sendable func clearFaults(_ request: Request, context: TokendRequestContext) async throws -> Response {
        try openMode("faults").faults.removeAll()
        context.logger.notice("fault rules cleared")
        return .noContent
    }

    @Sendable func requests(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let fakeCloud = try openMode("the request journal")
        let limit = try QueryArgument.single(request.uri.queryParameters[values: "limit"].map(String.init), "limit").map {
            text throws(TokendError) in
            guard let limit = Int(text), (1...RequestJournal.capacity).contains(limit) else {
                throw .invalidArgument("limit", .constraint, "limit must be a whole number from 1 to \(RequestJournal.capacity)")
            }
            return limit
        }
        var json = JSONWriter()
        json.object { json in
            json.key("requests")
            json.array(fakeCloud.journal.latest(limit ?? 100)) { json, entry in json.journalEntry(entry) }
        }
        return .json(json)
    }

    private func openMode(_ what: String) throws(TokendError) -> FakeCloud {
        guard let fakeCloud else {
            throw .permissionsDenied(action: what, resource: "this server (test endpoints are served in open mode only)")
        }
        return fakeCloud
    }
}

extension JSONWriter {
    mutating func faultRule(_ rule: FaultRule, fired: Int) {
        object { json in
            json.field("id", rule.id)
            json.field("region", rule.region?.rawValue)
            json.field("dialect", rule.dialect?.rawValue)
            json.field("operation", rule.operation)
            switch rule.effect {
            case .status(let status, _):
                json.field("effect", "status")
                json.field("status", status)
            case .delay(let milliseconds):
                json.field("effect", "delay")
                json.field("delay_ms", milliseconds)
            case .drop:
                json.field("effect", "drop")
            }
            json.key("probability")
            json.number(rule.probability)
            json.key("count")
            if let count = rule.count { json.integer(count) } else { json.string(nil) }
            json.field("fired", fired)
        }
    }

    mutating func journalEntry(_ entry: RequestJournal.Entry) {
        let classified = RequestClassifier.classify(method: entry.method, path: entry.path, verifyRegion: entry.verifyRegion)
        object { json in
            json.field("at", entry.at.rfc3339)
            json.field("method", entry.method.rawValue)
            json.field("path", entry.path)
            json.field("status", entry.status)
            json.field("dialect", classified.dialect.rawValue)
            json.field("region", classified.region?.rawValue)
            json.field("operation", classified.operation)
            json.field("duration_us", entry.durationMicroseconds)
            json.field("request_id", entry.requestID)
        }
    }
}
