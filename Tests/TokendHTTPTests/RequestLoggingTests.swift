import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import TokendHTTP

/// Log lines written while a request is answered name its request id, the one the caller
/// sees in `X-Request-Id`.
@Suite struct RequestLoggingTests {
    @Test func aLineLoggedDuringARequestCarriesItsRequestID() async throws {
        let lines = CapturedLines()
        let logger = Logger(label: "tokend-test") { _ in CapturingLogHandler(lines: lines, metadataProvider: .requestID) }
        let server = try await TestServer()
        let app = buildApplication(frontDoor: server.regionFrontDoor, listen: ListenSettings(host: "127.0.0.1", port: 0), logger: logger)
        try await app.test(.router) { client in
            var headers = anyKey
            headers[.requestID] = "trace-me-123"
            let created = try await client.call(
                .post, tokensPath(), headers: headers,
                body: #"{"project_id": "\#(projectA)", "token_scopes": ["read_only_logs"]}"#)
            #expect(created.status == .ok)
            #expect(created.headers[.requestID] == "trace-me-123")
            let minted = try await client.call(.get, tokensPath() + "/00000000-0000-4000-8000-00000000dead")
            let mintedID = try #require(minted.headers[.requestID])

            let logged = lines.all
            let creation = try #require(logged.first { $0.message == "token created" })
            #expect(creation.metadata["request_id"] == .string("trace-me-123"))
            let refusal = try #require(logged.first { $0.message == "request refused" })
            #expect(refusal.metadata["request_id"] == .string(mintedID))
        }
        // Outside a request there is no request id.
        logger.info("after")
        #expect(lines.all.last?.metadata["request_id"] == nil)
    }
}

struct CapturedLine: Sendable {
    let message: String
    let metadata: Logger.Metadata
}

final class CapturedLines: Sendable {
    private let storage = Mutex<[CapturedLine]>([])
    func append(_ line: CapturedLine) { storage.withLock { $0.append(line) } }
    var all: [CapturedLine] { storage.withLock { $0 } }
}

/// Keeps every line, with the metadata a real handler would print (its own, the provider's
/// and the line's).
struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var metadataProvider: Logger.MetadataProvider?
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
        lines.append(CapturedLine(message: event.message.description, metadata: merged))
    }
}
