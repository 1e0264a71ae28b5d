import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import TokendHTTP

/// The gateway's own connections to a region, against live servers that misbehave in the
/// ways a region's server or the network can.
@Suite struct HTTP1ConnectionPoolTests {
    /// What an upstream saw of each request.
    final class Seen: Sendable {
        let requests = Mutex<[(method: String, contentLength: String?, body: String)]>([])
    }

    /// A live server answering every request with `respond`; `idleTimeout` closes connections idle that long.
    func withUpstream(
        idleTimeout: TimeAmount = .seconds(60), _ respond: @escaping @Sendable (Request) async throws -> Response,
        _ body: @escaping @Sendable (HTTP1ConnectionPool) async throws -> Void
    ) async throws {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .delete] {
            router.on("/**", method: method) { request, _ in try await respond(request) }
        }
        var logger = Logger(label: "upstream")
        logger.logLevel = .critical
        let app = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: idleTimeout)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in
            let pool = try #require(HTTP1ConnectionPool(baseURL: "http://127.0.0.1:\(client.port!)", connectTimeout: .seconds(5)))
            try await body(pool)
            await pool.shutdown()
        }
    }

    func json(_ text: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Test func aRegionThatClosesEachConnectionIsAskedAgainOnANewOne() async throws {
        try await withUpstream({ _ in json("{}", headers: [.connection: "close"]) }) { pool in
            for _ in 0..<3 {
                let answer = try await pool.exchange(UpstreamRequest(.GET, "/x"), within: .seconds(5), answerLimit: 1 << 16)
                #expect(answer.status == .ok)
                #expect(String(buffer: answer.body) == "{}")
            }
            #expect(pool.idleConnections == 0)
        }
    }

    @Test func bodiesAreSentOnceWithTheirLength() async throws {
        let seen = Seen()
        try await withUpstream({ request in
            let body = try await request.body.collect(upTo: 1 << 16)
            seen.requests.withLock {
                $0.append((request.method.rawValue, request.headers[.contentLength], String(buffer: body)))
            }
            return json("{}")
        }) { pool in
            var chunked = UpstreamRequest(.POST, "/tokens", headers: ["Transfer-Encoding": "chunked", "Content-Length": "99"])
            chunked.body = ByteBuffer(string: #"{"name":"a"}"#)
            for request in [chunked, UpstreamRequest(.POST, "/empty"), UpstreamRequest(.DELETE, "/tokens/1")] {
                let answer = try await pool.exchange(request, within: .seconds(5), answerLimit: 1 << 16)
                #expect(answer.status == .ok)
            }
            let requests = seen.requests.withLock { $0 }
            #expect(requests.map(\.method) == ["POST", "POST", "DELETE"])
            #expect(requests.map(\.contentLength) == ["12", "0", nil])
            #expect(requests.first?.body == #"{"name":"a"}"#)
        }
    }

    @Test func aRegionClosingIdleConnectionsCostsNoRequest() async throws {
        let seen = Seen()
        try await withUpstream(
            idleTimeout: .milliseconds(300),
            { request in
                seen.requests.withLock { $0.append((request.method.rawValue, nil, "")) }
                return json("{}")
            }
        ) { pool in
            #expect(try await pool.exchange(UpstreamRequest(.GET, "/a"), within: .seconds(5), answerLimit: 1 << 16).status == .ok)
            try await Task.sleep(for: .seconds(1))  // the region has closed the kept connection
            #expect(try await pool.exchange(UpstreamRequest(.POST, "/b"), within: .seconds(5), answerLimit: 1 << 16).status == .ok)
            #expect(seen.requests.withLock { $0.map(\.method) } == ["GET", "POST"])
        }
    }

    @Test func anAnswerOverTheLimitFailsAndItsConnectionIsNotKept() async throws {
        try await withUpstream({ _ in json(String(repeating: "x", count: 1_000)) }) { pool in
            await #expect(throws: UpstreamFailure.self) {
                try await pool.exchange(UpstreamRequest(.GET, "/big"), within: .seconds(5), answerLimit: 16)
            }
            #expect(pool.idleConnections == 0)
            let answer = try await pool.exchange(UpstreamRequest(.GET, "/big"), within: .seconds(5), answerLimit: 1 << 16)
            #expect(answer.body.readableBytes == 1_000)
            #expect(pool.idleConnections == 1)
        }
    }

    @Test func aCancelledExchangeEndsAtOnceAndClosesItsConnection() async throws {
        let arrived = Seen()
        try await withUpstream({ request in
            arrived.requests.withLock { $0.append((request.method.rawValue, nil, "")) }
            try await Task.sleep(for: .seconds(5))
            return json("{}")
        }) { pool in
            let exchange = Task { try await pool.exchange(UpstreamRequest(.GET, "/slow"), within: .seconds(10), answerLimit: 1 << 16) }
            // Cancelled once the region has the request: the exchange is in flight on its connection.
            while arrived.requests.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
            let cancelled = ContinuousClock.now
            exchange.cancel()
            await #expect(throws: (any Error).self) { try await exchange.value }
            #expect(ContinuousClock.now - cancelled < .seconds(2))
            #expect(pool.idleConnections == 0)
        }
    }

    @Test func anHTTPSTransportsStalledBodyTimesOut() async throws {
        // AsyncHTTPClient's transport (for https:// regions), over plain HTTP here: its read
        // timeout must cover the body, which `execute`'s deadline stops covering at the head.
        let router = Router()
        router.get("/**") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "{"))
                    try await Task.sleep(for: .seconds(3))
                    try await writer.write(ByteBuffer(string: "}"))
                    try await writer.finish(nil)
                })
        }
        var logger = Logger(label: "upstream")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in
            let transport = AsyncHTTPClientTransport(
                baseURL: "http://127.0.0.1:\(client.port!)", connectTimeout: .seconds(5), readTimeout: .milliseconds(300))
            let started = ContinuousClock.now
            await #expect(throws: UpstreamFailure.self) {
                try await transport.exchange(UpstreamRequest(.GET, "/stall"), within: .milliseconds(300), answerLimit: 1 << 16)
            }
            #expect(ContinuousClock.now - started < .seconds(2))
            await transport.shutdown()
        }
    }
}
