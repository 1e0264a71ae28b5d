import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import Testing
import TokendCore

@testable import TokendHTTP

/// The forward-auth endpoint: every status of the data-plane table, scopes against
/// operations, tenants, rotation, revocation, expiry, rate limits and the audit trail.
@Suite struct VerifyTests {
    static let verify = "/_tokend/verify"

    static func headers(_ secret: String?, tenant: String? = projectA, operation: String? = "metrics.push") -> HTTPFields {
        var headers = HTTPFields()
        if let secret { headers[.authorization] = "Bearer \(secret)" }
        if let tenant { headers[.scopeOrgID] = tenant }
        if let operation { headers[.tokendOperation] = operation }
        return headers
    }

    @Test func aValidTokenIsLetThroughWithHeadersForTheProxy() async throws {
        try await TestServer().run { client in
            let token = try await client.createToken(scopes: ["write_only_metrics"])
            let secret = try #require(token["secret_key"] as? String)
            let answer = try await client.call(.get, Self.verify, headers: Self.headers(secret))
            #expect(answer.status == .ok)
            #expect(answer.headers[.tokenID] == token["id"] as? String)
            #expect(answer.headers[.scopeOrgID] == projectA)
            #expect(answer.json["operation"] as? String == "metrics.push")
            #expect(answer.json["scope"] as? String == "write_only_metrics")
        }
    }

    @Test func everyRefusalOfTheTableHasItsStatus() async throws {
        try await TestServer().run { client in
            let secret = try #require(try await client.createToken(scopes: ["write_only_metrics"])["secret_key"] as? String)
            let typo = String(secret.dropLast()) + (secret.last == "a" ? "b" : "a")
            let unknown = SecretFormat.generate(region: RegionName("fr-par")!)
            let otherRegion = SecretFormat.generate(region: RegionName("de-fra")!)
            let cases: [(HTTPFields, HTTPResponse.Status, String)] = [
                (Self.headers(secret, tenant: nil), .badRequest, "missing tenant"),
                (Self.headers(secret, tenant: "a/b"), .badRequest, "invalid tenant"),
                (Self.headers(secret, tenant: ".."), .badRequest, "dot-dot tenant"),
                (Self.headers(nil), .unauthorized, "no Authorization"),
                ([.authorization: "Basic abc", .scopeOrgID: projectA, .tokendOperation: "metrics.push"], .unauthorized, "not Bearer"),
                (Self.headers("not-a-secret"), .unauthorized, "malformed"),
                (Self.headers(typo), .unauthorized, "bad checksum"),
                (Self.headers(unknown), .unauthorized, "unknown"),
                (Self.headers(otherRegion), .unauthorized, "region not served"),
                (Self.headers(secret, operation: "metrics.query"), .forbidden, "scope"),
                (Self.headers(secret, tenant: projectB), .forbidden, "other tenant"),
                (Self.headers(secret, tenant: "\(projectA)|\(projectB)"), .forbidden, "federated with another tenant"),
                (Self.headers(secret, operation: nil), .forbidden, "no operation"),
                (Self.headers(secret, operation: "metrics.fly"), .badRequest, "bad explicit operation"),
            ]
            for (headers, status, label) in cases {
                let answer = try await client.call(.get, Self.verify, headers: headers)
                #expect(answer.status == status, "\(label): \(answer.text)")
                #expect(answer.headers[.contentType] == "application/json", "\(label)")
                #expect(answer.json["type"] != nil, "\(label)")
                if status == .unauthorized { #expect(answer.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(label)") }
            }
            #expect(
                try await client.call(.get, Self.verify, headers: Self.headers(secret, tenant: "\(projectA)|\(projectA)")).status == .ok)
        }
    }

    @Test func eachScopeAllowsExactlyItsOperations() async throws {
        try await TestServer().run { client in
            for scope in TokenScope.allCases {
                let secret = try #require(try await client.createToken(scopes: [scope.rawValue])["secret_key"] as? String)
                for signal in DataOperation.Signal.allCases {
                    for action in DataOperation.Action.allCases {
                        let operation = DataOperation(signal: signal, action: action)
                        let answer = try await client.call(
                            .post, Self.verify, headers: Self.headers(secret, operation: operation.description))
                        let allowed = operation.requiredScope == scope
                        #expect(answer.status == (allowed ? .ok : .forbidden), "\(scope.rawValue) \(operation)")
                    }
                }
            }
        }
    }

    @Test(arguments: [
        ("POST", "/api/v1/push", "metrics.push"), ("POST", "/otlp/v1/metrics", "metrics.push"),
        ("GET", "/prometheus/api/v1/query_range?query=up", "metrics.query"), ("GET", "/api/v1/query", "metrics.query"),
        ("GET", "/prometheus/config/v1/rules", "metrics.rules"), ("POST", "/api/v1/rules/ns", "metrics.rules"),
        ("GET", "/alertmanager/api/v2/alerts", "metrics.alerts"), ("GET", "/api/v1/alerts", "metrics.alerts"),
        ("POST", "/loki/api/v1/push", "logs.push"), ("POST", "/otlp/v1/logs", "logs.push"),
        ("GET", "/loki/api/v1/query_range", "logs.query"), ("GET", "/loki/api/v1/rules", "logs.rules"),
        ("POST", "/otlp/v1/traces", "traces.push"), ("POST", "/api/traces", "traces.push"),
        ("GET", "/api/traces/abc123", "traces.query"), ("GET", "/tempo/api/search", "traces.query"),
    ])
    func theOriginalRequestTellsTheOperation(method: String, uri: String, operation: String) async throws {
        #expect(DataOperation(method: method, path: uri)?.description == operation)
        try await TestServer().run { client in
            let scope = try #require(DataOperation(operation)?.requiredScope)
            let secret = try #require(try await client.createToken(scopes: [scope.rawValue])["secret_key"] as? String)
            var nginx = Self.headers(secret, operation: nil)
            nginx[.originalURI] = uri
            nginx[.originalMethod] = method
            #expect(try await client.call(.get, Self.verify, headers: nginx).status == .ok, "nginx \(method) \(uri)")
            var traefik = Self.headers(secret, operation: nil)
            traefik[.forwardedURI] = uri
            traefik[.forwardedMethod] = method
            #expect(try await client.call(.get, Self.verify, headers: traefik).status == .ok, "traefik \(method) \(uri)")
        }
    }

    @Test func anUnknownPathIsRefused() {
        #expect(DataOperation(method: "GET", path: "/metrics") == nil)
        #expect(DataOperation(method: "GET", path: "/api/v10/push") == nil)
    }

    @Test func nginxModeAnswersOnly401Or403() async throws {
        try await TestServer(limits: RateLimits(perToken: 1)).run { client in
            let secret = try #require(try await client.createToken()["secret_key"] as? String)
            let missingTenant = try await client.call(.get, Self.verify + "?mode=nginx", headers: Self.headers(secret, tenant: nil))
            #expect(missingTenant.status == .forbidden)
            #expect(missingTenant.headers[.tokendStatus] == "400")
            #expect(try await client.call(.get, Self.verify + "?mode=nginx", headers: Self.headers(secret)).status == .ok)
            let limited = try await client.call(.get, Self.verify + "?mode=nginx", headers: Self.headers(secret))
            #expect(limited.status == .forbidden)
            #expect(limited.headers[.tokendStatus] == "429")
            #expect(try await client.call(.get, Self.verify + "?mode=nginx", headers: Self.headers("junk")).status == .unauthorized)
        }
    }

    @Test func rateLimitsAnswer429WithRetryAfterPerTokenAndPerTenant() async throws {
        let clock = ManualClock()
        try await TestServer(clock: clock, limits: RateLimits(perToken: 2, perTenant: 3)).run { client in
            let first = try #require(try await client.createToken()["secret_key"] as? String)
            let second = try #require(try await client.createToken()["secret_key"] as? String)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(first)).status == .ok)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(first)).status == .ok)
            let limited = try await client.call(.get, Self.verify, headers: Self.headers(first))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.json["type"] as? String == "too_many_requests")
            #expect(limited.headers[.retryAfter] == "1")
            // The tenant's third request is allowed by its budget of 3, the fourth is not.
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(second)).status == .ok)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(second)).status == .tooManyRequests)
            clock.advance(seconds: 2)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(first)).status == .ok)
        }
    }

    @Test func rotationWithoutGraceEndsTheOldSecretAtOnce() async throws {
        try await TestServer().run { client in
            let token = try await client.createToken()
            let id = try #require(token["id"] as? String)
            let old = try #require(token["secret_key"] as? String)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(old)).status == .ok)
            let rotated = try await client.call(.post, tokensPath() + "/\(id)/rotate", headers: anyKeyWithExtensions)
            #expect(rotated.status == .ok)
            #expect(rotated.json["id"] as? String == id)
            let new = try #require(rotated.json["secret_key"] as? String)
            #expect(new != old)
            #expect(rotated.json["secret_prefix"] as? String == String(new.prefix(18)))
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(old)).status == .unauthorized)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(new)).status == .ok)
            #expect(try await client.call(.get, tokensPath() + "/\(id)").json["secret_key"] is NSNull)
        }
    }

    @Test func rotationWithGraceKeepsBothUntilItEnds() async throws {
        let clock = ManualClock()
        try await TestServer(clock: clock).run { client in
            let token = try await client.createToken()
            let id = try #require(token["id"] as? String)
            let old = try #require(token["secret_key"] as? String)
            let rotated = try await client.call(.post, tokensPath() + "/\(id)/rotate", body: #"{"grace_period_seconds": 60}"#)
            let new = try #require(rotated.json["secret_key"] as? String)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(old)).status == .ok)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(new)).status == .ok)
            clock.advance(seconds: 61)
            let expired = try await client.call(.get, Self.verify, headers: Self.headers(old))
            #expect(expired.status == .unauthorized)
            #expect(expired.json["reason"] as? String == "expired")
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(new)).status == .ok)
        }
    }

    @Test(arguments: [
        #"{"grace_period_seconds": -1}"#, #"{"grace_period_seconds": 604801}"#, #"{"grace_period_seconds": 1.5}"#,
        #"{"grace_period_seconds": "60"}"#, "[]", "{",
    ])
    func aBadRotateBodyIsRefusedAndChangesNothing(body: String) async throws {
        try await TestServer().run { client in
            let token = try await client.createToken()
            let id = try #require(token["id"] as? String)
            let answer = try await client.call(.post, tokensPath() + "/\(id)/rotate", body: body)
            #expect(answer.status == .badRequest)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(token["secret_key"] as? String)).status == .ok)
        }
    }

    @Test func rotatingAMissingOrForeignTokenIsNotFound() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.post, tokensPath() + "/\(CanonicalUUID.random())/rotate")
            #expect(answer.status == .notFound)
            #expect(answer.json["resource"] as? String == "token")
            let id = try #require(try await client.createToken(region: "fr-par")["id"] as? String)
            #expect(try await client.call(.post, tokensPath("nl-ams") + "/\(id)/rotate").status == .notFound)
        }
    }

    @Test func aDeletedTokenStopsVerifyingBeforeTheDeleteIsAnswered() async throws {
        try await TestServer().run { client in
            for _ in 0..<5 {
                let token = try await client.createToken()
                let id = try #require(token["id"] as? String)
                let secret = try #require(token["secret_key"] as? String)
                #expect(try await client.call(.get, Self.verify, headers: Self.headers(secret)).status == .ok)
                let deleted = Flag()
                let lateSuccesses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            var late = 0
                            for _ in 0..<40 {
                                let sentAfterDelete = deleted.isSet
                                let status = try await client.call(.get, Self.verify, headers: Self.headers(secret)).status
                                if sentAfterDelete && status == .ok { late += 1 }
                            }
                            return late
                        }
                    }
                    try await Task.sleep(for: .milliseconds(5))
                    #expect(try await client.call(.delete, tokensPath() + "/\(id)").status == .noContent)
                    deleted.set()
                    return try await group.reduce(0, +)
                }
                #expect(lateSuccesses == 0)
                #expect(try await client.call(.get, Self.verify, headers: Self.headers(secret)).status == .unauthorized)
            }
        }
    }

    @Test func anExpiredTokenIs401AndShownExpired() async throws {
        let clock = ManualClock()
        try await TestServer(clock: clock).run { client in
            let expiry = clock.now().adding(seconds: 60)
            let created = try await client.call(
                .post, tokensPath(), headers: anyKeyWithExtensions,
                body: """
                    {"project_id":"\(projectA)","token_scopes":["write_only_metrics"],"expires_at":"\(expiry.rfc3339)"}
                    """)
            #expect(created.status == .ok)
            #expect(created.json["expires_at"] as? String == expiry.rfc3339)
            #expect(created.json["status"] as? String == "active")
            let id = try #require(created.json["id"] as? String)
            let secret = try #require(created.json["secret_key"] as? String)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(secret)).status == .ok)
            clock.advance(seconds: 60)
            let refused = try await client.call(.get, Self.verify, headers: Self.headers(secret))
            #expect(refused.status == .unauthorized)
            #expect(refused.json["reason"] as? String == "expired")
            #expect(
                try await client.call(.get, tokensPath() + "/\(id)", headers: anyKeyWithExtensions).json["status"] as? String == "expired")
            #expect(
                try await client.call(.get, tokensPath(), headers: anyKeyWithExtensions).tokens.first?["status"] as? String == "expired")
        }
    }

    @Test(arguments: ["2000-01-01T00:00:00Z", "tomorrow", "2030-13-01T00:00:00Z", "2030-01-01 00:00:00Z"])
    func anExpiryInThePastOrMalformedIsRefused(expiry: String) async throws {
        try await TestServer().run { client in
            let answer = try await client.call(
                .post, tokensPath(),
                body: """
                    {"project_id":"\(projectA)","token_scopes":["write_only_metrics"],"expires_at":"\(expiry)"}
                    """)
            #expect(answer.status == .badRequest)
            #expect(answer.argumentNames == ["expires_at"])
            #expect(try await client.count() == 0)
        }
    }

    @Test func lastUseIsWrittenByTheFlushNotByVerify() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let token = try await client.createToken(headers: anyKeyWithExtensions)
            let id = try #require(token["id"] as? String)
            #expect(token["last_used_at"] is NSNull)
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(token["secret_key"] as? String)).status == .ok)
            #expect(try await client.call(.get, tokensPath() + "/\(id)", headers: anyKeyWithExtensions).json["last_used_at"] is NSNull)
            try await server.flushUsage()
            let used = try #require(
                try await client.call(.get, tokensPath() + "/\(id)", headers: anyKeyWithExtensions).json["last_used_at"] as? String)
            #expect(Timestamp(rfc3339: used)! > Timestamp(rfc3339: token["created_at"] as! String)!)
        }
    }

    @Test func aSecretIsVerifiedByTheRegionItNames() async throws {
        try await TestServer().run { client in
            let amsterdam = try #require(
                try await client.createToken(region: "nl-ams", scopes: ["read_only_logs"])["secret_key"] as? String)
            #expect(amsterdam.hasPrefix("tkd_nlams_"))
            #expect(try await client.call(.get, Self.verify, headers: Self.headers(amsterdam, operation: "logs.query")).status == .ok)
        }
    }
}

/// A flag set once, read from many tasks.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// Proxies pass a client's own headers to the auth request: no source of the operation may
/// be trusted over another, so a client cannot name a narrower operation than it performs.
@Suite struct OperationSpoofingTests {
    @Test(arguments: [
        [HTTPField.Name.originalURI: "/api/v1/push", .originalMethod: "POST", .tokendOperation: "metrics.query"],
        [.forwardedURI: "/api/v1/push", .forwardedMethod: "POST", .originalURI: "/api/v1/query", .originalMethod: "GET"],
        [.originalURI: "/api/v1/push", .originalMethod: "POST", .forwardedURI: "/prometheus/api/v1/query", .forwardedMethod: "GET"],
    ])
    func aReadTokenCannotPushByAddingHeaders(spoof: [HTTPField.Name: String]) async throws {
        try await TestServer().run { client in
            let secret = try #require(try await client.createToken(scopes: ["read_only_metrics"])["secret_key"] as? String)
            var headers = VerifyTests.headers(secret, operation: nil)
            for (name, value) in spoof { headers[name] = value }
            for path in [VerifyTests.verify, VerifyTests.verify + "?mode=nginx"] {
                let answer = try await client.call(.get, path, headers: headers)
                #expect(answer.status != .ok, "\(path) \(spoof)")
            }
            // The query argument set in the proxy's configuration is checked against the headers too.
            var explicit = VerifyTests.headers(secret, operation: "metrics.query")
            explicit[.tokendOperation] = "metrics.query"
            #expect(try await client.call(.get, VerifyTests.verify + "?operation=metrics.push", headers: explicit).status != .ok)
            #expect(try await client.call(.get, VerifyTests.verify + "?operation=metrics.query", headers: explicit).status == .ok)
        }
    }
}
