import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import TokendCore

@testable import TokendHTTP

/// `--log-format json`: every line one JSON object, each request one line with its id,
/// dialect, region, route, status and duration, and never a secret.
@Suite struct JSONLogTests {
    final class Lines: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        func append(_ line: [UInt8]) { bytes.withLock { $0 += line } }
        var objects: [[String: Any]] {
            get throws {
                try bytes.withLock { String(decoding: $0, as: UTF8.self) }.split(separator: "\n").map { line in
                    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                        throw TestFailure("not a JSON object: \(line)")
                    }
                    return object
                }
            }
        }
    }

    @Test func eachRequestIsOneJSONLineWithoutItsSecret() async throws {
        let lines = Lines()
        var logger = Logger(label: "tokend") { label in
            JSONLogHandler(label: label, metadataProvider: .requestID) { lines.append($0) }
        }
        logger.logLevel = .debug
        let server = try await TestServer()
        let app = buildApplication(frontDoor: server.regionFrontDoor, listen: ListenSettings(), logger: logger)
        let shown = Mutex("")
        try await app.test(.router) { client in
            var headers = anyKey
            headers[.requestID] = "json-line-1"
            let created = try await client.call(
                .post, tokensPath(), headers: headers, body: #"{"project_id": "\#(projectA)", "token_scopes": ["read_only_logs"]}"#)
            let secret = try #require(created.json["secret_key"] as? String)
            shown.withLock { $0 = secret }
            let check = keyVerifyHeaders(secret, tenant: projectA, uri: "/loki/api/v1/query", method: "GET")
            #expect(try await client.call(.get, "/_tokend/verify", headers: check).status == .ok)
        }
        let secret = shown.withLock { $0 }
        #expect(!secret.isEmpty)
        let objects = try lines.objects
        let create = try #require(objects.first { $0["message"] as? String == "request" && $0["request_id"] as? String == "json-line-1" })
        #expect(create["level"] as? String == "info")
        #expect(create["dialect"] as? String == "cockpit")
        #expect(create["region"] as? String == "fr-par")
        #expect(create["route"] as? String == tokensPath())
        #expect(create["method"] as? String == "POST")
        #expect(create["status"] as? Int == 200)
        #expect((create["duration_ms"] as? Double ?? -1) >= 0)
        #expect(create["time"] as? String != nil)
        // Verify's line is at debug, like nginx's auth subrequests, which it logs only when asked.
        let verify = try #require(objects.first { $0["route"] as? String == "/_tokend/verify" })
        #expect(verify["level"] as? String == "debug")
        #expect(verify["dialect"] as? String == "data_plane")
        #expect(verify["status"] as? Int == 200)
        for object in objects {
            let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            #expect(!text.contains(secret))
        }
    }

    @Test func metadataKeepsItsShapeAndTheLineItsOrder() throws {
        let event = LogEvent(
            level: .warning, message: "region unavailable",
            metadata: [
                "region": "nl-ams", "attempts": .stringConvertible(3), "ratio": .stringConvertible(0.5),
                "nested": ["a": ["x", "y"]], "quote": "say \"hi\"\n",
            ], source: "test", file: #fileID, function: #function, line: #line)
        let line = String(decoding: JSONLogLine.line(event, label: "tokend", fields: event.metadata ?? [:]), as: UTF8.self)
        #expect(line.hasSuffix("}\n"))
        #expect(line.hasPrefix(#"{"time":""#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "region unavailable")
        #expect(object["attempts"] as? Int == 3)
        #expect(object["ratio"] as? Double == 0.5)
        #expect((object["nested"] as? [String: [String]])?["a"] == ["x", "y"])
        #expect(object["quote"] as? String == "say \"hi\"\n")
        // Metadata in key order after the fixed keys: the same event prints the same line.
        let keys = ["attempts", "nested", "quote", "ratio", "region"].map { line.range(of: "\"\($0)\":")!.lowerBound }
        #expect(keys == keys.sorted())
    }
}
