import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TokendCore
import TokendStore

@testable import TokendHTTP

/// A front door whose fr-par is served here and whose nl-ams lives behind `upstream`:
/// a region that misbehaves must cost only its own calls.
@Suite struct GatewayFaultTests {
    static let readTimeoutMilliseconds = 300

    /// Runs `body` against a front door with a local fr-par and a remote nl-ams at `baseURL`.
    /// A refused connection fails at once whatever the connect timeout, so it can be generous.
    func withGateway(
        remoteAt baseURL: String, readTimeoutMilliseconds: Int = Self.readTimeoutMilliseconds,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let local = LocalRegionBackend(
            service: RegionTokenService(
                region: RegionName("fr-par")!, store: try SQLiteTokenStore.inMemory(region: RegionName("fr-par")!),
                hasher: TestServer.hasher),
            access: .open)
        let remote = RemoteRegionBackend(
            region: RegionName("nl-ams")!, baseURL: baseURL,
            connectTimeoutMilliseconds: 5_000, readTimeoutMilliseconds: readTimeoutMilliseconds)
        try await TestServer.application(FrontDoor(backends: [local, remote], access: .open)).test(.router, body)
    }

    /// A live server answering every request with `respond`: a stand-in for a broken region.
    func withUpstream(
        _ respond: @escaping @Sendable () async throws -> Response,
        _ body: @escaping @Sendable (String) async throws -> Void
    ) async throws {
        let router = Router()
        router.on("/**", method: .get) { _, _ in try await respond() }
        var logger = Logger(label: "upstream")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)") }
    }

    func expectRegionUnavailable(_ client: any TestClientProtocol) async throws {
        let started = ContinuousClock.now
        let answer = try await client.call(.get, tokensPath("nl-ams"))
        let elapsed = ContinuousClock.now - started
        #expect(answer.status == .serviceUnavailable)
        #expect(answer.headers[.contentType] == "application/json")
        #expect(answer.json["type"] as? String == "out_of_stock")
        #expect(answer.json["resource"] as? String == "region nl-ams")
        // What a retrying client (the Terraform provider retries 5xx) needs to back off.
        #expect(answer.headers[.retryAfter] == "1")
        #expect((answer.json["message"] as? String)?.contains("nl-ams") == true)
        #expect(!answer.text.contains("<html>"))
        #expect(elapsed < .milliseconds(Self.readTimeoutMilliseconds * 4), "answered after \(elapsed)")
        // The healthy region is untouched.
        try await client.createToken(region: "fr-par")
        #expect(try await client.count(region: "fr-par") == 1)
    }

    @Test func aRegionNobodyListensForIsA503NamingIt() async throws {
        try await withGateway(remoteAt: "http://127.0.0.1:\(try unusedPort())") { client in
            try await expectRegionUnavailable(client)
            let health = try await client.call(.get, "/_tokend/health")
            #expect(health.json["status"] as? String == "degraded")
            let regions = try #require(health.json["regions"] as? [[String: Any]])
            let amsterdam = try #require(regions.first { $0["region"] as? String == "nl-ams" })
            #expect(amsterdam["state"] as? String == "down")
            #expect((amsterdam["last_error"] as? String)?.contains("nl-ams") == true)
            #expect(regions.first { $0["region"] as? String == "fr-par" }?["state"] as? String == "ok")
        }
    }

    @Test func verifyForAnUnreachableRegionStaysInNginxTerms() async throws {
        try await withGateway(remoteAt: "http://127.0.0.1:\(try unusedPort())") { client in
            let secret = SecretFormat.generate(region: RegionName("nl-ams")!)
            let headers = VerifyTests.headers(secret)
            let standard = try await client.call(.get, VerifyTests.verify, headers: headers)
            #expect(standard.status == .serviceUnavailable)
            #expect(standard.json["resource"] as? String == "region nl-ams")
            let nginx = try await client.call(.get, VerifyTests.verify + "?mode=nginx", headers: headers)
            #expect(nginx.status == .forbidden)
            #expect(nginx.headers[.tokendStatus] == "503")
        }
    }

    @Test func aRegionSlowerThanItsTimeoutIsA503NamingIt() async throws {
        try await withUpstream({
            try await Task.sleep(for: .milliseconds(1_500))
            return .json("{}")
        }) { baseURL in
            try await withGateway(remoteAt: baseURL) { client in try await expectRegionUnavailable(client) }
        }
    }

    @Test func aRegionAnsweringHTMLIsA503NamingItAndTheHTMLIsNotRelayed() async throws {
        try await withUpstream({
            Response(
                status: .badGateway, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>oops</html>")))
        }) { baseURL in
            try await withGateway(remoteAt: baseURL) { client in try await expectRegionUnavailable(client) }
        }
    }

    @Test func aRegionThatStallsMidAnswerIsA503NotACutOffBody() async throws {
        try await withUpstream({
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: #"{"total_count": 1, "tokens": ["#))
                    try await Task.sleep(for: .milliseconds(1_500))
                    try await writer.write(ByteBuffer(string: "]}"))
                    try await writer.finish(nil)
                })
        }) { baseURL in
            try await withGateway(remoteAt: baseURL) { client in try await expectRegionUnavailable(client) }
        }
    }

    @Test func relayedRequestsKeepTheirRequestIDAndDropHopByHopHeaders() async throws {
        let seen = SeenHeaders()
        let router = Router()
        router.on("/**", method: .get) { request, _ in
            await seen.record(request.headers)
            return Response.json(#"{"total_count":0,"tokens":[]}"#)
        }
        var logger = Logger(label: "upstream")
        logger.logLevel = .critical
        let upstream = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await upstream.test(.live) { upstreamClient in
            // Generous timeout: this test is about what is relayed, not about slowness.
            try await withGateway(remoteAt: "http://127.0.0.1:\(upstreamClient.port!)", readTimeoutMilliseconds: 10_000) { client in
                let answer = try await client.call(
                    .get, tokensPath("nl-ams") + "?page=2",
                    headers: [
                        .authToken: "k", .requestID: "relay-check-1", .connection: "close, X-Private", HTTPField.Name("X-Private")!: "hop",
                        .te: "trailers",
                    ])
                #expect(answer.status == .ok)
                #expect(answer.headers[.requestID] == "relay-check-1")
                let headers = try #require(await seen.headers)
                #expect(headers[.requestID] == "relay-check-1")
                #expect(headers[.authToken] == "k")
                #expect(headers[HTTPField.Name("X-Private")!] == nil)
                #expect(headers[.te] == nil)
            }
        }
    }
}

actor SeenHeaders {
    var headers: HTTPFields?
    func record(_ headers: HTTPFields) { self.headers = headers }
}

/// A loopback port nothing listens on (bound, then released).
func unusedPort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
