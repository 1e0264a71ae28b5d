import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TokendCore

@testable import TokendHTTP

/// `/_tokend/requests`: the latest requests the front door answered, newest first, each
/// classified as fault rules see it; never a query string, a header or a body.
@Suite struct FakeCloudJournalTests {
    static let requests = "/_tokend/requests"

    static func verifyHeaders(_ secret: String) -> HTTPFields {
        [.authorization: "Bearer \(secret)", .scopeOrgID: projectA, .tokendOperation: "metrics.push"]
    }

    @Test func theJournalListsTheLatestRequestsNewestFirst() async throws {
        try await TestServer().run { client in
            var sent: [(answer: Answer, method: String, path: String, dialect: String, region: String?, operation: String)] = []
            let created = try await client.call(
                .post, tokensPath(), body: #"{"project_id":"\#(projectA)","token_scopes":["write_only_metrics"]}"#)
            sent.append((created, "POST", tokensPath(), "cockpit", "fr-par", "create"))
            let id = try #require(created.json["id"] as? String)
            let secret = try #require(created.json["secret_key"] as? String)
            let listed = try await client.call(.get, tokensPath("nl-ams") + "?page_size=5&project_id=\(projectA)")
            sent.append((listed, "GET", tokensPath("nl-ams"), "cockpit", "nl-ams", "list"))
            let fetched = try await client.call(.get, tokensPath() + "/\(id)")
            sent.append((fetched, "GET", tokensPath() + "/\(id)", "cockpit", "fr-par", "get"))
            let verified = try await client.call(.get, "/_tokend/verify", headers: Self.verifyHeaders(secret))
            sent.append((verified, "GET", "/_tokend/verify", "data_plane", "fr-par", "verify"))
            let deleted = try await client.call(.delete, tokensPath() + "/\(id)")
            sent.append((deleted, "DELETE", tokensPath() + "/\(id)", "cockpit", "fr-par", "delete"))
            let missing = try await client.call(.get, tokensPath("pl-waw") + "/\(id)")
            sent.append((missing, "GET", tokensPath("pl-waw") + "/\(id)", "cockpit", "pl-waw", "get"))
            let login = try await client.call(
                .post, "/auth/login", headers: [.contentType: "application/json"],
                body: #"{"email":"alice@example.com","password":"Training123!"}"#)
            sent.append((login, "POST", "/auth/login", "xscaler", nil, "login"))
            let jwt = try #require(login.json["token"] as? String)
            let tenant = try await client.portal(.post, "/tenants", jwt, body: #"{"display_name":"Payments"}"#)
            sent.append((tenant, "POST", "/tenants", "xscaler", nil, "create_tenant"))
            let tenantID = try #require(tenant.json["id"] as? String)
            let keys = try await client.portal(.get, "/api/portal/tenants/\(tenantID)/keys", jwt)
            sent.append((keys, "GET", "/api/portal/tenants/\(tenantID)/keys", "xscaler", nil, "list_keys"))
            let ping = try await client.call(.get, "/_tokend/ping", headers: [:])
            sent.append((ping, "GET", "/_tokend/ping", "tokend", nil, "get /_tokend/ping"))

            let journal = try await client.journal(limit: sent.count)
            #expect(journal.count == sent.count)
            for (entry, expected) in zip(journal, sent.reversed()) {
                let what = "\(expected.method) \(expected.path): \(entry)"
                #expect(entry["method"] as? String == expected.method, "\(what)")
                #expect(entry["path"] as? String == expected.path, "\(what)")
                #expect(entry["status"] as? Int == Int(expected.answer.status.code), "\(what)")
                #expect(entry["dialect"] as? String == expected.dialect, "\(what)")
                if let region = expected.region {
                    #expect(entry["region"] as? String == region, "\(what)")
                } else {
                    #expect(entry["region"] is NSNull, "\(what)")
                }
                #expect(entry["operation"] as? String == expected.operation, "\(what)")
                #expect((entry["duration_us"] as? Int).map { $0 >= 0 } == true, "\(what)")
                #expect(entry["request_id"] as? String == expected.answer.headers[.requestID], "\(what)")
                #expect(expected.answer.headers[.requestID]?.isEmpty == false)
                let at = try #require(entry["at"] as? String)
                #expect(Timestamp(rfc3339: at) != nil, "\(at)")
            }
            #expect(journal[4]["status"] as? Int == 404, "\(journal[4])")
            // The listing itself is journalled once answered.
            let again = try await client.journal(limit: 1)
            #expect(again.first?["path"] as? String == Self.requests)
            #expect(again.first?["dialect"] as? String == "tokend")
        }
    }

    @Test func theJournalNeverHoldsASecret() async throws {
        try await TestServer().run { client in
            let token = try await client.createToken()
            let secret = try #require(token["secret_key"] as? String)
            let id = try #require(token["id"] as? String)
            #expect(try await client.call(.get, "/_tokend/verify", headers: Self.verifyHeaders(secret)).status == .ok)
            #expect(try await client.call(.get, "/_tokend/verify?mode=nginx", headers: Self.verifyHeaders(secret)).status == .ok)
            let rotated = try await client.call(.post, tokensPath() + "/\(id)/rotate")
            let rotatedSecret = try #require(rotated.json["secret_key"] as? String)
            // A secret in a query string is not kept either.
            _ = try await client.call(.get, tokensPath() + "?name=\(secret)")
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt, displayName: "Payments")["id"] as? String)
            let key = try #require(try await client.createKey(jwt, tenant: tenant)["key"] as? String)
            #expect(try await client.verifyKey(key, tenant: tenant).status == .ok)

            let answer = try await client.call(.get, Self.requests + "?limit=1000", headers: [:])
            #expect(answer.status == .ok)
            #expect((answer.json["requests"] as? [Any])?.count ?? 0 >= 9)
            for needle in [secret, rotatedSecret, jwt, key, String(secret.suffix(24)), String(key.suffix(24))] {
                #expect(!answer.text.contains(needle), "the journal holds \(needle.prefix(8))…")
            }
            #expect(!answer.text.contains("?"))
            #expect(!answer.text.contains("password"))
        }
    }

    @Test(arguments: ["0", "1001", "-1", "ten", "1.5"])
    func aLimitOutOfBoundsIsRefused(limit: String) async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.get, Self.requests + "?limit=\(limit)", headers: [:])
            #expect(answer.status == .badRequest, "\(limit): \(answer.text)")
            #expect(answer.json["type"] as? String == "invalid_arguments")
            #expect(answer.argumentNames == ["limit"])
        }
    }

    @Test func aLimitBoundsTheListing() async throws {
        try await TestServer().run { client in
            for _ in 0..<5 { _ = try await client.call(.get, "/_tokend/ping", headers: [:]) }
            #expect(try await client.journal(limit: 1).count == 1)
            // Five pings and the listing before this one.
            #expect(try await client.journal(limit: 1000).count == 6)
            let twice = try await client.call(.get, Self.requests + "?limit=2&limit=3", headers: [:])
            #expect(twice.status == .badRequest)
            #expect(twice.argumentNames == ["limit"])
            // Without a limit: the latest 100.
            for _ in 0..<120 { _ = try await client.call(.get, "/_tokend/ping", headers: [:]) }
            let byDefault = try await client.call(.get, Self.requests, headers: [:])
            #expect((byDefault.json["requests"] as? [Any])?.count == 100)
        }
    }

    @Test func theJournalKeepsTheLatestThousand() async throws {
        try await TestServer().run { client in
            try await client.createToken()
            for _ in 0..<1_000 { _ = try await client.call(.get, "/_tokend/ping", headers: [:]) }
            let journal = try await client.journal(limit: 1_000)
            #expect(journal.count == 1_000)
            // The create made room for the last ping.
            #expect(journal.allSatisfy { $0["path"] as? String == "/_tokend/ping" })
            let after = try await client.journal(limit: 1_000)
            #expect(after.count == 1_000)
            #expect(after.first?["path"] as? String == Self.requests)
            #expect(after.dropFirst().allSatisfy { $0["path"] as? String == "/_tokend/ping" })
            let stamps = after.compactMap { ($0["at"] as? String).flatMap(Timestamp.init(rfc3339:)) }
            #expect(stamps.count == 1_000)
            #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 >= $1 }, "newest first")
        }
    }

    @Test func anInjectedFaultIsJournalledAsAnswered() async throws {
        try await TestServer().run { client in
            try await client.addFault(#"{"operation":"list","status":429,"count":1}"#)
            let refused = try await client.call(.get, tokensPath())
            #expect(refused.status == .tooManyRequests)
            let entry = try #require(try await client.journal(limit: 1).first)
            #expect(entry["status"] as? Int == 429)
            #expect(entry["operation"] as? String == "list")
            #expect(entry["request_id"] as? String == refused.headers[.requestID])
        }
    }
}
