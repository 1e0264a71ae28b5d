import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Synchronization
import TokendCore
import TokendStore
import TokendTestSupport

@testable import TokendHTTP

/// How the suite reaches the regions: straight to in-process backends (`embedded`, what
/// `tokend serve` runs), or through a front door relaying over HTTP to a live regional
/// server (`gateway`, what `tokend gateway` runs). Set by `TOKEND_TEST_TOPOLOGY`, so the
/// same suite runs both ways (scripts/test does).
enum Topology: String {
    case embedded, gateway

    static let current = Topology(rawValue: ProcessInfo.processInfo.environment["TOKEND_TEST_TOPOLOGY"] ?? "") ?? .embedded
}

/// A tokend front door over fresh stores: the real routes, the real store (in-memory SQLite,
/// or PostgreSQL when scripts/test names a server; see `TestStore`).
struct TestServer {
    static let regions = ["fr-par", "nl-ams", "pl-waw"].map { RegionName($0)! }
    static let hasher = SecretHasher(keyBytes: Array(repeating: 7, count: 32))

    let access: ManagementAccess
    let regionFrontDoor: FrontDoor
    let services: [RegionTokenService]
    /// Signs the portal's JWTs, for the region servers and the gateway alike (they share the key).
    let sessions: PortalSessions
    let portalAccess: PortalAccess
    static let portalKey = Array(repeating: UInt8(9), count: 32)
    /// Its place among the servers with PostgreSQL stores open, given back when it has run.
    private let slot: TestStore.ServerSlot?

    /// `adjustableClocks`: each region gets its own `AdjustableClock`, as `tokend serve` in
    /// open mode does, for the clock endpoint (then `clock` is not used).
    /// `portalAccess`: who signs in to the portal (open mode's one organisation by default).
    init(
        access: ManagementAccess = .open, clock: any TimeSource = SystemTimeSource(), limits: RateLimits = .unlimited,
        adjustableClocks: Bool = false, portalAccess: PortalAccess = .open(Organization(displayName: "Default", plan: .scale)),
        metrics: MetricsExporter? = nil
    ) async throws {
        let clocks = Self.regions.map { _ in adjustableClocks ? AdjustableClock() : nil }
        let factory: any MetricsFactory = metrics?.factory ?? NOOPMetricsHandler.instance
        slot = try await TestStore.ServerSlot.take()
        var stores: [any TokenStore & TenantStore] = []
        let schemas = TestStore.newSchemaPrefix()
        for region in Self.regions { stores.append(try await TestStore.preferred.open(region, metrics: factory, schemas: schemas)) }
        services = zip(zip(Self.regions, stores), clocks).map { pair, adjustable in
            let (region, store) = pair
            return RegionTokenService(
                region: region, store: store, hasher: Self.hasher, clock: adjustable ?? clock, limits: limits, metrics: factory)
        }
        self.access = access
        self.portalAccess = portalAccess
        self.sessions = PortalSessions(keyBytes: Self.portalKey, clock: clocks.first.flatMap { $0 } ?? clock)
        // Tests flush verify usage themselves (flushUsage), so the background flush must not race them.
        let backends = zip(zip(services, stores), clocks).map { pair, adjustable in
            LocalRegionBackend(
                service: pair.0, tenants: RegionTenantService(tokens: pair.0, store: pair.1, clock: adjustable ?? clock), access: access,
                usageFlushInterval: .seconds(3600), clock: adjustable)
        }
        self.regionFrontDoor = FrontDoor(
            backends: backends, access: access, portal: Self.portal(over: backends, portalAccess, sessions), metrics: metrics)
    }

    static func portal(over backends: [any RegionBackend], _ access: PortalAccess, _ sessions: PortalSessions) -> PortalFace {
        PortalFace(portal: Portal(access: access, regions: backends.compactMap { $0.tenants(signingWith: sessions) }), sessions: sessions)
    }

    /// What the usage flush service does every second, done now.
    func flushUsage() async throws {
        for service in services { try await service.verifier.flush() }
    }

    /// Runs the application (its stores close when it ends) with a client for `body`.
    func run(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await runApplication(body)
        } catch {
            await slot?.giveBack()
            throw error
        }
        await slot?.giveBack()
    }

    private func runApplication(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        switch Topology.current {
        case .embedded:
            try await Self.application(regionFrontDoor).test(.router, body)
        case .gateway:
            try await runGateway(body)
        }
    }

    /// The region server live, and a gateway's front door relaying to it, live too, as
    /// `tokend gateway` serves: plain requests take its channel relay, others its router.
    fileprivate func runGateway(seed: UInt64? = nil, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void)
        async throws
    {
        try await Self.application(regionFrontDoor).test(.live) { regionServer in
            let remotes = Self.regions.map { region in
                RemoteRegionBackend(
                    region: region, baseURL: "http://127.0.0.1:\(regionServer.port!)",
                    connectTimeoutMilliseconds: 5_000, readTimeoutMilliseconds: 10_000)
            }
            let gateway = FrontDoor(
                backends: remotes, access: access, portal: Self.portal(over: remotes, portalAccess, sessions), seed: seed)
            try await Self.application(gateway).test(.live, body)
        }
    }

    static func application(_ frontDoor: FrontDoor) -> some ApplicationProtocol {
        var logger = Logger(label: "tokend-test")
        logger.logLevel = .critical
        return buildApplication(frontDoor: frontDoor, listen: ListenSettings(host: "127.0.0.1", port: 0), logger: logger)
    }
}

let projectA = "aaaaaaaa-0000-4000-8000-000000000001"
let projectB = "bbbbbbbb-0000-4000-8000-000000000002"
let anyKey: HTTPFields = [.authToken: "test-key"]
/// The same key, asking for tokend's extension fields (status, expiry, last use, secret prefix).
let anyKeyWithExtensions: HTTPFields = [.authToken: "test-key", .prefer: "tokend-extensions"]

func tokensPath(_ region: String = "fr-par") -> String { "/cockpit/v1/regions/\(region)/tokens" }

/// A response decoded for assertions.
struct Answer {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
    var tokens: [[String: Any]] { json["tokens"] as? [[String: Any]] ?? [] }
    var details: [[String: Any]] { json["details"] as? [[String: Any]] ?? [] }
    var argumentNames: [String] { details.compactMap { $0["argument_name"] as? String } }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = anyKey, body: String? = nil) async throws -> Answer {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// Creates a token and returns its JSON; fails the test on anything but 200.
    @discardableResult
    func createToken(
        region: String = "fr-par", project: String = projectA, name: String? = nil,
        scopes: [String] = ["write_only_metrics"], headers: HTTPFields = anyKey
    ) async throws -> [String: Any] {
        var body: [String: Any] = ["project_id": project, "token_scopes": scopes]
        if let name { body["name"] = name }
        let answer = try await call(
            .post, tokensPath(region), headers: headers,
            body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
        guard answer.status == .ok else { throw TestFailure("create answered \(answer.status): \(answer.text)") }
        return answer.json
    }

    func count(region: String = "fr-par", headers: HTTPFields = anyKey) async throws -> Int {
        try await call(.get, tokensPath(region), headers: headers).json["total_count"] as? Int ?? -1
    }
}

/// A clock the test moves by hand.
final class ManualClock: TimeSource {
    private let current = Mutex(Timestamp.now())
    func now() -> Timestamp { current.withLock { $0 } }
    func advance(seconds: Int) { current.withLock { $0 = $0.adding(seconds: seconds) } }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: The portal

/// The headers of a portal call signed in with `jwt` (plus any others).
func portalHeaders(_ jwt: String, _ extra: HTTPFields = [:]) -> HTTPFields {
    var headers: HTTPFields = [.authorization: "Bearer \(jwt)", .contentType: "application/json"]
    headers.append(contentsOf: extra)
    return headers
}

/// The headers of a forward-auth check of an xScaler key, as nginx sends them.
func keyVerifyHeaders(
    _ key: String?, tenant: String?, uri: String = "/api/v1/push", method: String = "POST", contentLength: Int? = nil
) -> HTTPFields {
    var headers: HTTPFields = [.originalURI: uri, .originalMethod: method]
    if let key { headers[.authorization] = "Bearer \(key)" }
    if let tenant { headers[.scopeOrgID] = tenant }
    if let contentLength { headers[.originalContentLength] = String(contentLength) }
    return headers
}

extension Answer {
    /// The answer as a JSON array of objects (the portal's lists); empty if it is not one.
    var array: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
    }

    /// Each object's keys in the order the raw text has them, objects in the order they open
    /// (the outermost first): what a field-order check compares.
    var keyOrders: [[String]] { Self.keyOrders(of: text) }

    static func keyOrders(of text: String) -> [[String]] {
        let bytes = Array(text.utf8)
        var orders: [[String]] = []
        // The containers open around the current byte: an index into `orders`, or nil for an array.
        var open: [Int?] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                orders.append([])
                open.append(orders.count - 1)
            case UInt8(ascii: "["):
                open.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = open.popLast()
            case UInt8(ascii: "\""):
                var end = index + 1
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
                var next = end + 1
                while next < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t")].contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: ":"), let object = open.last ?? nil {
                    orders[object].append(String(decoding: bytes[(index + 1)..<min(end, bytes.count)], as: UTF8.self))
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return orders
    }
}

extension TestClientProtocol {
    /// Signs in to the portal and returns the JWT; fails the test on anything but 200.
    func portalLogin(email: String = "alice@example.com", password: String = "Training123!") async throws -> String {
        let answer = try await call(
            .post, "/auth/login", headers: [.contentType: "application/json"],
            body: #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard answer.status == .ok, let token = answer.json["token"] as? String else {
            throw TestFailure("login answered \(answer.status): \(answer.text)")
        }
        return token
    }

    /// A portal call as the holder of `jwt`.
    func portal(
        _ method: HTTPRequest.Method, _ path: String, _ jwt: String, body: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        try await call(method, path, headers: portalHeaders(jwt, extra), body: body)
    }

    /// Creates a tenant and returns its JSON; fails the test on anything but 201.
    @discardableResult
    func createTenant(
        _ jwt: String, displayName: String? = nil, environment: String? = nil, region: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> [String: Any] {
        var body: [String: Any] = [:]
        if let displayName { body["display_name"] = displayName }
        if let environment { body["environment"] = environment }
        if let region { body["region"] = region }
        let answer = try await portal(
            .post, "/tenants", jwt, body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self),
            headers: extra)
        guard answer.status == .created else { throw TestFailure("tenant create answered \(answer.status): \(answer.text)") }
        return answer.json
    }

    /// Creates a key of a tenant and returns its JSON (with `key`); fails the test on anything but 201.
    @discardableResult
    func createKey(_ jwt: String, tenant: String, body: String = "{}") async throws -> [String: Any] {
        let answer = try await portal(.post, "/tenants/\(tenant)/keys", jwt, body: body)
        guard answer.status == .created else { throw TestFailure("key create answered \(answer.status): \(answer.text)") }
        return answer.json
    }

    /// A forward-auth check of an xScaler key (a push of metrics unless told otherwise).
    func verifyKey(
        _ key: String?, tenant: String?, uri: String = "/api/v1/push", method: String = "POST", contentLength: Int? = nil
    ) async throws -> Answer {
        try await call(
            .get, "/_tokend/verify",
            headers: keyVerifyHeaders(key, tenant: tenant, uri: uri, method: method, contentLength: contentLength))
    }
}

// MARK: The fake cloud

extension TestServer {
    /// `run`, with the front door the client talks to (the gateway's in the gateway topology)
    /// built with `seed`, as `--seed` builds it: its fault rules draw from that seed.
    func run(seed: UInt64, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await runApplication(seed: seed, body)
        } catch {
            await slot?.giveBack()
            throw error
        }
        await slot?.giveBack()
    }

    private func runApplication(seed: UInt64, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        switch Topology.current {
        case .embedded:
            let seeded = FrontDoor(
                backends: Array(regionFrontDoor.backends.values), access: access, portal: regionFrontDoor.portal, seed: seed)
            try await Self.application(seeded).test(.router, body)
        case .gateway:
            try await runGateway(seed: seed, body)
        }
    }
}

extension TestClientProtocol {
    /// Adds a fault rule (`POST /_tokend/faults`) and returns it; fails the test on anything but 201.
    @discardableResult
    func addFault(_ body: String) async throws -> [String: Any] {
        let answer = try await call(.post, "/_tokend/faults", headers: [.contentType: "application/json"], body: body)
        guard answer.status == .created else { throw TestFailure("fault rule answered \(answer.status): \(answer.text)") }
        return answer.json
    }

    /// The request journal's latest entries, newest first.
    func journal(limit: Int = 100) async throws -> [[String: Any]] {
        let answer = try await call(.get, "/_tokend/requests?limit=\(limit)", headers: [:])
        guard answer.status == .ok else { throw TestFailure("the journal answered \(answer.status): \(answer.text)") }
        return answer.json["requests"] as? [[String: Any]] ?? []
    }
}
