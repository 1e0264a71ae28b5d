import Logging
import Synchronization
import Testing

@testable import TokendHTTP

/// `--log-format text`: StreamLogHandler's line, its metadata rendered only when a line is
/// logged.
@Suite struct TextLogTests {
    @Test func aLineReadsLikeStreamLogHandlersWithTheMetadataSetSinceInKeyOrder() throws {
        let written = Mutex<[String]>([])
        var logger = Logger(label: "tokend") { label in
            TextLogHandler(label: label, metadataProvider: .init { ["request_id": "r-1"] }) { line in
                written.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
            }
        }
        logger[metadataKey: "hb.request.id"] = "abc"
        logger[metadataKey: "zone"] = "later"
        logger.debug("not at info")
        logger.info("token created", metadata: ["token_id": "t-1"])
        let lines = written.withLock { $0 }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix(" info tokend: hb.request.id=abc request_id=r-1 token_id=t-1 zone=later [TokendHTTPTests] token created\n"))
        // The time first: 2026-12-02T04:20:00Z.
        #expect(line.prefix(20).last == "Z" && line.prefix(20).dropLast().allSatisfy { $0.isNumber || "-T:".contains($0) })
    }

    @Test func theLatestLayerSetsAKeyAndAnErrorIsWrittenInItsPlace() throws {
        let written = Mutex<[String]>([])
        var logger = Logger(label: "tokend") { label in
            TextLogHandler(label: label, metadataProvider: .init { ["zone": "provider", "error.type": "shadowed"] }) { line in
                written.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
            }
        }
        logger[metadataKey: "zone"] = "logger"
        logger[metadataKey: "b"] = "logger"
        logger[metadataKey: "keep"] = .stringConvertible(7)
        logger.log(
            level: .warning, "store unavailable", error: Refused(), metadata: ["zone": "event", "list": ["x", "y"]], source: "test")
        let line = try #require(written.withLock { $0 }.first)
        let fields = #"b=logger error.message=refused error.type=TokendHTTPTests.TextLogTests.Refused keep=7 list=["x", "y"] zone=event"#
        #expect(line.hasSuffix(" warning tokend: \(fields) [test] store unavailable\n"))
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String { "refused" }
    }
}
