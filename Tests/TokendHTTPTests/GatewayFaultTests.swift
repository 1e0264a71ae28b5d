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
        let local = try LocalRegionBackend.inMemory("fr-par")
        let remote = RemoteRegionBackend(
            region: RegionName("nl-ams")!, baseURL: baseURL,
            connectTimeoutMilliseconds: 5_000, readTimeoutMilliseconds: readTimeoutMilliseconds)
        // Live, as `tokend gateway` serves: nl-ams's plain requests take the channel relay.
        try await TestServer.application(FrontDoor(backends: [local, remote], access: .open)).test(.live, body)
    }

    /// A live server answering every GET and POST with `respond`: a stand-in for nl-ams's
    /// server, broken or not.
    func withUpstream(
        _ respond: @escaping @Sendable (Request) async throws -> Response,
        _ body: @escaping @Sendable (String) async throws -> Void
    ) async throws {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/**", method: method) { request, _ in try await respond(request) }
        }
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
        try await withUpstream({ _ in
            try await Task.sleep(for: .milliseconds(1_500))
            return .json("{}")
        }) { baseURL in
            try await withGateway(remoteAt: baseURL) { client in try await expectRegionUnavailable(client) }
        }
    }

    @Test func aRegionAnsweringHTMLIsA503NamingItAndTheHTMLIsNotRelayed() async throws {
        try await withUpstream({ _ in
            Response(
                status: .badGateway, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>oops</html>")))
        }) { baseURL in
            try await withGateway(remoteAt: baseURL) { client in try await expectRegionUnavailable(client) }
        }
    }

    @Test func aRegionThatStallsMidAnswerIsA503NotACutOffBody() async throws {
        try await withUpstream({ _ in
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
        try await withUpstream({ request in
            await seen.record(request.headers)
            return Response.json(#"{"total_count":0,"tokens":[]}"#)
        }) { baseURL in
            // Generous timeout: this test is about what is relayed, not about slowness.
            try await withGateway(remoteAt: baseURL, readTimeoutMilliseconds: 10_000) { client in
                // Raw bytes: the test client would send a `Connection` header of its own.
                let answer = try await RawHTTPClient.exchange(
                    port: client.port!,
                    "GET \(tokensPath("nl-ams"))?page=2 HTTP/1.1\r\nHost: gateway\r\nX-Auth-Token: k\r\nX-Request-Id: relay-check-1\r\n"
                        + "Connection: close, X-Private\r\nX-Private: hop\r\nTE: trailers\r\n\r\n")
                #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
                #expect(answer.contains("\r\nX-Request-Id: relay-check-1\r\n"))
                let headers = try #require(await seen.headers)
                #expect(headers[.requestID] == "relay-check-1")
                #expect(headers[.authToken] == "k")
                #expect(headers[HTTPField.Name("X-Private")!] == nil)
                #expect(headers[.te] == nil)
            }
        }
    }

    /// `withUpstream` answering an empty page after `delay`, counting what reached it.
    func withCountingUpstream(
        delay: Duration = .zero, _ body: @escaping @Sendable (_ baseURL: String, _ seen: RequestCounter) async throws -> Void
    ) async throws {
        let seen = RequestCounter()
        try await withUpstream({ request in
            await seen.count(request.head.path ?? "")
            try await Task.sleep(for: delay)
            return Response.json(#"{"total_count":0,"tokens":[]}"#)
        }) { baseURL in try await body(baseURL, seen) }
    }

    /// After a request that asks to close the connection, nothing more on it is answered or
    /// relayed: the router reads no further, and neither may the relay.
    @Test func nothingAfterAConnectionCloseIsRelayed() async throws {
        try await withCountingUpstream { baseURL, seen in
            try await withGateway(remoteAt: baseURL, readTimeoutMilliseconds: 10_000) { client in
                let relayed = "GET \(tokensPath("nl-ams")) HTTP/1.1\r\nHost: gateway\r\nX-Auth-Token: k\r\n\r\n"
                let routedThenRelayed = try await RawHTTPClient.exchange(
                    port: client.port!, "GET /_tokend/ping HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n" + relayed)
                let relayedThenRelayed = try await RawHTTPClient.exchange(
                    port: client.port!,
                    "GET \(tokensPath("nl-ams"))?first HTTP/1.1\r\nHost: gateway\r\nX-Auth-Token: k\r\nConnection: close\r\n\r\n"
                        + relayed)
                #expect(routedThenRelayed.components(separatedBy: "HTTP/1.1 ").count == 2, "\(routedThenRelayed)")
                #expect(relayedThenRelayed.components(separatedBy: "HTTP/1.1 ").count == 2, "\(relayedThenRelayed)")
                #expect(await seen.paths == [tokensPath("nl-ams") + "?first"])
            }
        }
    }

    /// Bytes that are not HTTP after a request being relayed: its answer first, then the
    /// router's 400, which closes the connection.
    @Test func aParseErrorWaitsForTheAnswerBeforeIt() async throws {
        try await withCountingUpstream(delay: .milliseconds(100)) { baseURL, seen in
            try await withGateway(remoteAt: baseURL, readTimeoutMilliseconds: 10_000) { client in
                let answer = try await RawHTTPClient.exchange(
                    port: client.port!,
                    "GET \(tokensPath("nl-ams")) HTTP/1.1\r\nHost: gateway\r\nX-Auth-Token: k\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
                let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
                #expect(statuses == ["200", "400"], "\(answer)")
                #expect(await seen.paths == [tokensPath("nl-ams")])
            }
        }
    }

    /// Answers leave in the order requests came, whether the gateway relays a request itself
    /// (nl-ams's) or its router answers it (fr-par's, the ping), pipelined on one connection.
    @Test func pipelinedRequestsAreAnsweredInOrderAcrossRelayAndRouter() async throws {
        try await withUpstream({ request in
            // The earliest relayed answers come slowest, so an answer out of turn would show.
            let order = Int(request.headers[.requestID]?.split(separator: "-").last ?? "") ?? 0
            try await Task.sleep(for: .milliseconds(max(0, 40 - order * 4)))
            return Response.json(#"{"total_count":0,"tokens":[]}"#)
        }) { baseURL in
            try await withGateway(remoteAt: baseURL, readTimeoutMilliseconds: 10_000) { client in
                // nl-ams relayed (a POST with its body among them), the ping and fr-par's list routed.
                let paths = (0..<12).map { index in
                    [tokensPath("nl-ams"), "/_tokend/ping", tokensPath("fr-par"), tokensPath("nl-ams")][index % 4]
                }
                var requests = ""
                for (index, path) in paths.enumerated() {
                    let body = index % 4 == 3 ? #"{"name":"pipelined"}"# : ""
                    requests += "\(body.isEmpty ? "GET" : "POST") \(path) HTTP/1.1\r\nHost: gateway\r\nX-Auth-Token: k\r\n"
                    requests += "X-Request-Id: order-\(index)\r\nContent-Length: \(body.utf8.count)\r\n"
                    requests += index == paths.count - 1 ? "Connection: close\r\n\r\n" : "\r\n"
                    requests += body
                }
                let answer = try await RawHTTPClient.exchange(port: client.port!, requests)
                let ids = answer.split(separator: "\r\n").filter { $0.hasPrefix("X-Request-Id: ") }.map { $0.dropFirst(14) }
                #expect(ids == (0..<12).map { "order-\($0)"[...] })
                #expect(answer.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 13)
            }
        }
    }
}

actor RequestCounter {
    var paths: [String] = []
    func count(_ path: String) { paths.append(path) }
}

actor SeenHeaders {
    var headers: HTTPFields?
    func record(_ headers: HTTPFields) { self.headers = headers }
}

/// A loopback port nothing listens on: bound and never listening, and kept so for the rest of
/// the test process (a released one was taken by other tests' live servers), so connecting to
/// it is refused.
func unusedPort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
        }
    }
    guard bound else {
        close(socket)
        throw TestFailure("cannot find a free port")
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

extension LocalRegionBackend {
    /// An open region of this process over an in-memory SQLite store.
    static func inMemory(_ name: String) throws -> LocalRegionBackend {
        let region = RegionName(name)!
        return LocalRegionBackend(
            service: RegionTokenService(region: region, store: try SQLiteTokenStore.inMemory(region: region), hasher: TestServer.hasher),
            access: .open)
    }
}
