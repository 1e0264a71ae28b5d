import Foundation
import NIOCore
import NIOHTTP1
import TokendCore

/// A remote region's part of the portal: its server's own portal API, called as the caller
/// (a JWT signed with the key the gateway shares with its regions), limited to the region
/// (`X-Tokend-Region`), with tokend's extension fields (`Prefer: tokend-extensions`) so that
/// answers decode into the core's values whole. A region's refusal is passed on as it
/// answered it; a region that cannot answer is 503 naming it.
struct RemoteTenantRegion: TenantRegion {
    let backend: RemoteRegionBackend
    let sessions: PortalSessions

    var region: RegionName { backend.region }

    func create(_ new: NewTenant, by caller: PortalCaller) async throws -> Tenant {
        var body = JSONWriter()
        body.object { json in
            if let name = new.displayName { json.field("display_name", name) }
            json.field("environment", new.environment)
            json.field("region", region.rawValue)
        }
        return try await call(.POST, "/tenants", as: caller, body: body, decoding: TenantAnswer.self).tenant(of: caller)
    }

    func tenants(of caller: PortalCaller) async throws -> [Tenant] {
        try await call(.GET, "/tenants", as: caller, decoding: [TenantAnswer].self).map { try $0.tenant(of: caller) }
    }

    func tenant(_ id: TenantID, by caller: PortalCaller) async throws -> Tenant {
        try await call(.GET, "/tenants/\(id)", as: caller, decoding: TenantAnswer.self).tenant(of: caller)
    }

    func holds(_ id: TenantID) async throws -> Bool {
        let (status, _) = try await send(.GET, "/_tokend/tenants/\(id)", authorization: nil, body: nil)
        switch status {
        case 200: return true
        case 404: return false
        default: throw unavailable("its tenant directory answered \(status)")
        }
    }

    func update(_ id: TenantID, _ change: TenantChange, by caller: PortalCaller) async throws -> Tenant {
        var body = JSONWriter()
        body.object { json in
            if let name = change.displayName { json.field("display_name", name) }
            if let environment = change.environment { json.field("environment", environment) }
        }
        return try await call(.PATCH, "/tenants/\(id)", as: caller, body: body, decoding: TenantAnswer.self).tenant(of: caller)
    }

    func setSuspended(_ suspended: Bool, _ id: TenantID, by caller: PortalCaller) async throws -> Tenant {
        try await call(.POST, "/tenants/\(id)/\(suspended ? "suspend" : "resume")", as: caller, decoding: TenantAnswer.self)
            .tenant(of: caller)
    }

    func delete(_ id: TenantID, by caller: PortalCaller) async throws {
        _ = try await call(.DELETE, "/tenants/\(id)", as: caller)
    }

    func createKey(_ new: NewKey, for id: TenantID, by caller: PortalCaller) async throws -> IssuedToken {
        var body = JSONWriter()
        body.object { json in
            if let name = new.name { json.field("display_name", name.rawValue) }
            json.field("scope", new.scope.rawValue)
        }
        return try await call(.POST, "/tenants/\(id)/keys", as: caller, body: body, decoding: KeyAnswer.self).issued(in: region)
    }

    func keys(of id: TenantID, by caller: PortalCaller) async throws -> [TenantKey] {
        try await call(.GET, "/tenants/\(id)/keys", as: caller, decoding: [KeyAnswer].self).map { try $0.key(in: region) }
    }

    func key(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws -> TenantKey {
        try await call(.GET, "/tenants/\(id)/keys/\(try KeyID.parse(keyID))", as: caller, decoding: KeyAnswer.self).key(in: region)
    }

    func revokeKey(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws {
        _ = try await call(.DELETE, "/tenants/\(id)/keys/\(try KeyID.parse(keyID))", as: caller)
    }

    func rotateKey(_ keyID: String, of id: TenantID, by caller: PortalCaller) async throws -> IssuedToken {
        try await call(.POST, "/tenants/\(id)/keys/\(try KeyID.parse(keyID))/rotate", as: caller, decoding: KeyAnswer.self)
            .issued(in: region)
    }

    func activity(_ query: TenantActivityQuery, by caller: PortalCaller) async throws -> (events: [TenantEvent], more: Bool) {
        var components = URLComponents()
        components.path = "/activity"
        components.queryItems = [
            query.kind.map { URLQueryItem(name: "type", value: $0.rawValue) },
            query.tenant.map { URLQueryItem(name: "tenant_id", value: $0.rawValue) },
            query.text.map { URLQueryItem(name: "q", value: $0) },
            URLQueryItem(name: "limit", value: String(query.limit)),
            query.before.map { URLQueryItem(name: "cursor", value: $0.text) },
        ].compactMap { $0 }
        let path = components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
        let answer = try await call(.GET, path, as: caller, decoding: ActivityAnswer.self)
        return (try answer.events.map { try $0.event() }, answer.next_cursor != nil)
    }

    func usage(of id: TenantID, by caller: PortalCaller) async throws -> TenantUsage {
        try await call(.GET, "/dashboard/tenants/\(id)/usage", as: caller, decoding: UsageAnswer.self).usage()
    }

    func logBytesPushed(by caller: PortalCaller) async throws -> Int64 {
        try await call(.GET, "/dashboard/org/summary", as: caller, decoding: SummaryAnswer.self).logs_bytes_pushed_this_month
    }

    // MARK: Transport

    private func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, as caller: PortalCaller, body: JSONWriter? = nil, decoding _: Answer.Type
    ) async throws -> Answer {
        let body = try await call(method, path, as: caller, body: body)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(buffer: body))
        } catch {
            throw unavailable("its portal answer to \(method) \(path.prefix { $0 != "?" }) is not what tokend answers")
        }
    }

    private func call(_ method: HTTPMethod, _ path: String, as caller: PortalCaller, body: JSONWriter? = nil) async throws -> ByteBuffer {
        let token = try await sessions.issue(
            for: PortalUser(email: caller.email, role: caller.role, organization: caller.organization, password: nil))
        let (status, answer) = try await send(method, path, authorization: "Bearer " + token, body: body, requestID: caller.requestID)
        switch status {
        case 200..<300: return answer
        case 401:
            throw unavailable("it did not accept the gateway's sign-in (give the gateway and its regions the same --jwt-key-file)")
        default: throw RelayedPortalError(status: status, body: answer)
        }
    }

    private func send(
        _ method: HTTPMethod, _ path: String, authorization: String?, body: JSONWriter?, requestID: String? = nil
    ) async throws -> (Int, ByteBuffer) {
        var request = UpstreamRequest(method, path)
        request.headers.add(name: "X-Tokend-Region", value: region.rawValue)
        request.headers.add(name: "Prefer", value: TokenFields.preference)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let requestID { request.headers.add(name: "X-Request-Id", value: requestID) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = ByteBuffer(bytes: body.bytes)
        }
        let answer = try await backend.send(request, logger: nil)
        return (Int(answer.status.code), answer.body)
    }

    private func unavailable(_ why: String) -> TokendError {
        .unavailable(resource: "region \(region)", message: "region \(region) is unavailable: \(why)")
    }
}

/// A region's own refusal of a portal request, passed on to the client as it answered it.
struct RelayedPortalError: Error {
    let status: Int
    let body: ByteBuffer
}
