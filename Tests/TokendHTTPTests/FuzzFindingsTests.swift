import Foundation
import Testing
import TokendCore

@testable import TokendHTTP

/// What the fuzz targets (Fuzz/, docs/fuzzing.md) found at the HTTP edge.
@Suite struct FuzzFindingsTests {
    /// FuzzVerifyHeaders: `..logs.query` was read as `logs.query` (the core's reading skips
    /// empty parts). An explicit operation is taken in its canonical spelling only.
    @Test(arguments: ["..logs.query", "..metrics.push", ".metrics.push", "metrics..push", "metrics.push."])
    func anExplicitOperationInAnotherSpellingIsRefused(text: String) {
        for explicit in [[text, nil], [nil, text]] {
            #expect(
                throws: TokendError.invalidArgument(
                    "operation", .format, "operation must be <metrics|logs|traces>.<push|query|rules|alerts>")
            ) {
                try DataOperation.of(explicit: explicit, originals: [], method: "GET")
            }
        }
    }

    @Test func theCanonicalSpellingStillAgreesWithTheOriginalURI() throws {
        let operation = try DataOperation.of(
            explicit: ["logs.query", nil], originals: [("/loki/api/v1/query_range", "GET")], method: "POST")
        #expect(operation == DataOperation(signal: .logs, action: .query))
    }

    /// The body reader, for the portal body FuzzRequestBody found: a field named "" is the body's.
    @Test func aBodyWithAFieldNamedNothingIsRefusedByName() throws {
        let body = try JSONShape.decode(Array(#"{"name": "abc", "": ""}"#.utf8))
        #expect(throws: TokendError.invalidArgument("body", .unknown, "unknown field ''; known: display_name, environment, region")) {
            try NewTenant.parse(body: body)
        }
    }
}

/// FuzzJWT (the 10-minute run): a token signed with the portal's key whose header was not JSON
/// (a raw control character in `typ`) was accepted, its `alg` read leniently. Its header is
/// now read as a request body is.
@Suite struct FuzzFindingsJWTTests {
    static let key = Array("tokend fuzzing: the portal's key!".utf8)
    static let claims =
        #"{"sub":"xs_org_0123456789abcdef0123456789abcdef","email":"ops@example.com","#
        + #""org_id":"xs_org_0123456789abcdef0123456789abcdef","role":"admin","iat":1796169000,"exp":1796170800}"#

    static func token(header: [UInt8]) -> String {
        func base64URL(_ bytes: [UInt8]) -> String {
            Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
        }
        let input = base64URL(header) + "." + base64URL(Array(claims.utf8))
        return input + "." + base64URL(SecretHasher(keyBytes: key).hash(input))
    }

    /// 2026-12-02T00:00:00Z: the claims' `exp` is 20 minutes later.
    struct FixedTime: TimeSource {
        func now() -> Timestamp { Timestamp(microsecondsSinceEpoch: 1_796_169_600_000_000) }
    }

    static let sessions = PortalSessions(keyBytes: key, clock: FixedTime())

    @Test func aHeaderThatIsNotJSONIsRefused() async {
        let header = Array(#"{"alg":"HS256","typ":"JW"#.utf8) + [0xEF, 0xBF, 0xBD, 0x02, 0, 0, 0, 0, 0, 0] + Array(#"T"}"#.utf8)
        await #expect(throws: TokendError.authenticationDenied(method: .jwt, reason: .invalidArgument)) {
            try await Self.sessions.verify(Self.token(header: header))
        }
    }

    @Test func aHeaderNamingAlgTwiceIsRefused() async {
        await #expect(throws: TokendError.authenticationDenied(method: .jwt, reason: .invalidArgument)) {
            try await Self.sessions.verify(Self.token(header: Array(#"{"alg":"HS256","alg":"none"}"#.utf8)))
        }
    }

    @Test func theSameTokenWithAJSONHeaderIsAccepted() async throws {
        let session = try await Self.sessions.verify(Self.token(header: Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)))
        #expect(session.email == "ops@example.com" && session.role == .admin)
    }
}
