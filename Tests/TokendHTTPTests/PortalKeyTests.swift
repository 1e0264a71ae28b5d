import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

/// The portal's API keys: create (shown once), list, get, revoke, rotate, scopes, and what
/// the data plane (`/_tokend/verify`) makes of them; and the one core under both faces.
@Suite struct PortalKeyTests {
    static let keyFields = ["id", "display_name", "prefix", "scope", "status", "last_used_at", "created_at", "revoked_at"]
    static let prefer: HTTPFields = [.prefer: "tokend-extensions"]

    static func matches(_ text: Any?, _ pattern: String) -> Bool {
        guard let text = text as? String else { return false }
        return text.wholeMatch(of: try! Regex(pattern)) != nil
    }

    /// The Cockpit token id of a key id (`key_<32 hex>` → its UUID).
    static func tokenID(ofKey id: String) -> String {
        var hex = String(id.dropFirst("key_".count))
        for dash in [8, 13, 18, 23] { hex.insert("-", at: hex.index(hex.startIndex, offsetBy: dash)) }
        return hex
    }

    /// A key with one character changed (one the alphabet allows, so only the checksum tells).
    static func mistyped(_ key: String, at offset: Int = 10) -> String {
        var characters = Array(key)
        characters[offset] = characters[offset] == "a" ? "b" : "a"
        return String(characters)
    }

    @Test func aCreatedKeyIsShownOnceWithItsFieldsInOrder() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt)["id"] as? String)
            let created = try await client.portal(.post, "/tenants/\(tenant)/keys", jwt, body: #"{"display_name":"k8s-prod-collector-1"}"#)
            #expect(created.status == .created)
            #expect(created.keyOrders == [Self.keyFields + ["key"]])
            let key = try #require(created.json["key"] as? String)
            #expect(Self.matches(key, "xag_[a-z0-9]{32}"), "\(key)")
            #expect(XScalerKeyFormat.isWellFormed(key))
            #expect(created.json["prefix"] as? String == String(key.prefix(8)))
            let id = try #require(created.json["id"] as? String)
            #expect(Self.matches(id, "key_[0-9a-f]{32}"), "\(id)")
            #expect(created.json["display_name"] as? String == "k8s-prod-collector-1")
            #expect(created.json["scope"] as? String == "read+write")
            #expect(created.json["status"] as? String == "active")
            #expect(created.json["last_used_at"] is NSNull)
            #expect(created.json["revoked_at"] is NSNull)
            #expect(Self.matches(created.json["created_at"], #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#))

            let list = try await client.portal(.get, "/tenants/\(tenant)/keys", jwt)
            #expect(list.status == .ok)
            #expect(list.keyOrders == [Self.keyFields])
            #expect(!list.text.contains(key))
            #expect(list.array.map { $0["id"] as? String } == [id])
            #expect(list.array.first?["key"] == nil)

            let fetched = try await client.portal(.get, "/tenants/\(tenant)/keys/\(id)", jwt)
            #expect(fetched.status == .ok)
            #expect(fetched.keyOrders == [Self.keyFields])
            #expect(!fetched.text.contains(key))
            #expect(fetched.json["prefix"] as? String == String(key.prefix(8)))
        }
    }

    @Test func keysTakeNameAsAliasScopesAndListOldestFirst() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt)["id"] as? String)
            let aliased = try await client.createKey(jwt, tenant: tenant, body: #"{"name":"alloy-agent"}"#)
            #expect(aliased["display_name"] as? String == "alloy-agent")
            let reader = try await client.createKey(jwt, tenant: tenant, body: #"{"display_name":"grafana","scope":"read"}"#)
            #expect(reader["scope"] as? String == "read")
            let writer = try await client.createKey(jwt, tenant: tenant, body: #"{"display_name":"pusher","scope":"write"}"#)
            #expect(writer["scope"] as? String == "write")
            let both = try await client.createKey(jwt, tenant: tenant, body: #"{"scope":"read+write"}"#)
            #expect(both["scope"] as? String == "read+write")
            // No body at all: a generated name, the default scope.
            let bare = try await client.portal(.post, "/tenants/\(tenant)/keys", jwt)
            #expect(bare.status == .created)
            #expect(bare.json["scope"] as? String == "read+write")
            #expect((bare.json["display_name"] as? String)?.isEmpty == false)

            for body in [
                #"{"scope":"admin"}"#, #"{"scope":"READ"}"#, #"{"scope":["read"]}"#, #"{"display_name":"x"}"#,
                #"{"display_name":"ok-name","name":"ok-name"}"#, #"{"display_name":"ok-name","secret":"mine"}"#,
            ] {
                let refused = try await client.portal(.post, "/tenants/\(tenant)/keys", jwt, body: body)
                #expect(refused.status == .badRequest, "\(body): \(refused.text)")
                #expect(refused.json["error"] as? String == "invalid_request", "\(body)")
            }
            let list = try await client.portal(.get, "/tenants/\(tenant)/keys", jwt).array
            #expect(list.map { $0["id"] as? String } == [aliased, reader, writer, both, bare.json].map { $0["id"] as? String })
            #expect(list.map { $0["scope"] as? String } == ["read+write", "read", "write", "read+write", "read+write"])
            #expect(try await client.portal(.get, "/tenants/xs_default_zzzzzzzz/keys", jwt).status == .notFound)
            #expect(try await client.portal(.post, "/tenants/xs_default_zzzzzzzz/keys", jwt, body: "{}").status == .notFound)
        }
    }

    @Test func aKeyVerifiesForItsTenantByIDOrProjectAndIsRefusedOtherwise() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try await client.createTenant(jwt, headers: Self.prefer)
            let id = try #require(tenant["id"] as? String)
            let project = try #require(tenant["project_id"] as? String)
            let other = try #require(try await client.createTenant(jwt)["id"] as? String)
            let created = try await client.createKey(jwt, tenant: id)
            let key = try #require(created["key"] as? String)
            let keyID = try #require(created["id"] as? String)

            let answer = try await client.verifyKey(key, tenant: id)
            #expect(answer.status == .ok, "\(answer.text)")
            #expect(answer.headers[.scopeOrgID] == id)
            #expect(answer.headers[.tokenID] == Self.tokenID(ofKey: keyID))
            #expect(answer.json["operation"] as? String == "metrics.push")

            let byProject = try await client.verifyKey(key, tenant: project)
            #expect(byProject.status == .ok, "\(byProject.text)")
            #expect(byProject.headers[.scopeOrgID] == id)

            // Reads too, with read+write; logs and traces pushes alike.
            #expect(try await client.verifyKey(key, tenant: id, uri: "/prometheus/api/v1/query?query=up", method: "GET").status == .ok)
            #expect(try await client.verifyKey(key, tenant: id, uri: "/loki/api/v1/push").status == .ok)
            #expect(try await client.verifyKey(key, tenant: id, uri: "/otlp/v1/traces").status == .ok)

            #expect(try await client.verifyKey(key, tenant: other).status == .forbidden)
            #expect(try await client.verifyKey(key, tenant: "xs_default_zzzzzzzz").status == .unauthorized)
            #expect(try await client.verifyKey(Self.mistyped(key), tenant: id).status == .unauthorized)
            #expect(try await client.verifyKey(Self.mistyped(key, at: 35), tenant: id).status == .unauthorized)
            #expect(try await client.verifyKey(String(key.dropLast()), tenant: id).status == .unauthorized)
            #expect(try await client.verifyKey(nil, tenant: id).status == .unauthorized)
            #expect(try await client.verifyKey(key, tenant: nil).status == .badRequest)
            #expect(try await client.verifyKey(key, tenant: "\(id),\(other)").status == .badRequest)
            // A well-formed key nobody was given.
            #expect(try await client.verifyKey(XScalerKeyFormat.generate(), tenant: id).status == .unauthorized)
        }
    }

    @Test func aKeyPresentedWithATenantOfAnotherRegionIs401() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let paris = try #require(try await client.createTenant(jwt, region: "fr-par")["id"] as? String)
            let warsaw = try #require(try await client.createTenant(jwt, region: "pl-waw")["id"] as? String)
            let key = try #require(try await client.createKey(jwt, tenant: paris)["key"] as? String)
            #expect(try await client.verifyKey(key, tenant: paris).status == .ok)
            // docs/portal.md: the check goes to the named tenant's region, which does not know
            // the key: 401 (another tenant of the key's own region is 403).
            let answer = try await client.verifyKey(key, tenant: warsaw)
            #expect(answer.status == .unauthorized, "\(answer.text)")
        }
    }

    @Test func scopesDecideWhatAKeyMayDo() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let id = try #require(try await client.createTenant(jwt)["id"] as? String)
            let reader = try #require(try await client.createKey(jwt, tenant: id, body: #"{"scope":"read"}"#)["key"] as? String)
            let writer = try #require(try await client.createKey(jwt, tenant: id, body: #"{"scope":"write"}"#)["key"] as? String)
            let query = "/prometheus/api/v1/query?query=up"
            let cases: [(String, String, String, HTTPResponse.Status)] = [
                (reader, "/api/v1/push", "POST", .forbidden),
                (reader, "/loki/api/v1/push", "POST", .forbidden),
                (reader, "/otlp/v1/traces", "POST", .forbidden),
                (reader, query, "GET", .ok),
                (reader, "/loki/api/v1/query_range", "GET", .ok),
                (writer, "/api/v1/push", "POST", .ok),
                (writer, "/otlp/v1/logs", "POST", .ok),
                (writer, "/otlp/v1/traces", "POST", .ok),
                (writer, query, "GET", .forbidden),
            ]
            for (key, uri, method, status) in cases {
                let answer = try await client.verifyKey(key, tenant: id, uri: uri, method: method)
                #expect(answer.status == status, "\(key == reader ? "read" : "write") \(method) \(uri): \(answer.text)")
            }
        }
    }

    @Test func aRevokedKeyStopsAtOnceAndKeepsARowThatGetShows() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt)["id"] as? String)
            let created = try await client.createKey(jwt, tenant: tenant, body: #"{"display_name":"short-lived"}"#)
            let kept = try await client.createKey(jwt, tenant: tenant, body: #"{"display_name":"long-lived"}"#)
            let key = try #require(created["key"] as? String)
            let id = try #require(created["id"] as? String)
            #expect(try await client.verifyKey(key, tenant: tenant).status == .ok)

            let revoked = try await client.portal(.delete, "/tenants/\(tenant)/keys/\(id)", jwt)
            #expect(revoked.status == .noContent)
            #expect(revoked.text.isEmpty)
            #expect(try await client.verifyKey(key, tenant: tenant).status == .unauthorized)

            let row = try await client.portal(.get, "/tenants/\(tenant)/keys/\(id)", jwt)
            #expect(row.status == .ok)
            #expect(row.keyOrders == [Self.keyFields])
            #expect(row.json["status"] as? String == "revoked")
            #expect(row.json["display_name"] as? String == "short-lived")
            #expect(row.json["prefix"] as? String == String(key.prefix(8)))
            #expect(Self.matches(row.json["revoked_at"], #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#), "\(row.text)")

            let list = try await client.portal(.get, "/tenants/\(tenant)/keys", jwt).array
            #expect(list.map { $0["id"] as? String } == [kept["id"] as? String])
            let again = try await client.portal(.delete, "/tenants/\(tenant)/keys/\(id)", jwt)
            #expect(again.status == .notFound)
            #expect(again.json["error"] as? String == "not_found")
            #expect(try await client.portal(.post, "/tenants/\(tenant)/keys/\(id)/rotate", jwt).status == .notFound)
            #expect(try await client.verifyKey(kept["key"] as? String, tenant: tenant).status == .ok)
            // Ids that are no key's.
            for unknown in ["key_" + String(repeating: "0", count: 32), "key_abc123", "nope"] {
                #expect(try await client.portal(.get, "/tenants/\(tenant)/keys/\(unknown)", jwt).status == .notFound, "\(unknown)")
                #expect(try await client.portal(.delete, "/tenants/\(tenant)/keys/\(unknown)", jwt).status == .notFound, "\(unknown)")
            }
        }
    }

    @Test func rotationGivesANewSecretUnderTheSameIDAndVoidsTheOldAtOnce() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt)["id"] as? String)
            let created = try await client.createKey(jwt, tenant: tenant, body: #"{"display_name":"rotating","scope":"write"}"#)
            let old = try #require(created["key"] as? String)
            let id = try #require(created["id"] as? String)

            let rotated = try await client.portal(.post, "/tenants/\(tenant)/keys/\(id)/rotate", jwt)
            #expect(rotated.status == .ok)
            #expect(rotated.keyOrders == [Self.keyFields + ["key"]])
            let new = try #require(rotated.json["key"] as? String)
            #expect(new != old)
            #expect(Self.matches(new, "xag_[a-z0-9]{32}"))
            #expect(rotated.json["id"] as? String == id)
            #expect(rotated.json["prefix"] as? String == String(new.prefix(8)))
            #expect(rotated.json["display_name"] as? String == "rotating")
            #expect(rotated.json["scope"] as? String == "write")
            #expect(rotated.json["status"] as? String == "active")

            #expect(try await client.verifyKey(old, tenant: tenant).status == .unauthorized)
            #expect(try await client.verifyKey(new, tenant: tenant).status == .ok)
            let list = try await client.portal(.get, "/tenants/\(tenant)/keys", jwt).array
            #expect(list.map { $0["id"] as? String } == [id])
            #expect(list.first?["prefix"] as? String == String(new.prefix(8)))
        }
    }

    @Test func aSuspendedTenantsKeysAre403UntilItIsResumed() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try await client.createTenant(jwt, headers: Self.prefer)
            let id = try #require(tenant["id"] as? String)
            let project = try #require(tenant["project_id"] as? String)
            let key = try #require(try await client.createKey(jwt, tenant: id)["key"] as? String)
            // A Cockpit token of the tenant's project is refused alike.
            let cockpit = try #require(
                try await client.createToken(project: project, scopes: ["write_only_metrics"])["secret_key"] as? String)
            let cockpitHeaders: HTTPFields = [
                .authorization: "Bearer \(cockpit)", .scopeOrgID: project, .tokendOperation: "metrics.push",
            ]
            #expect(try await client.verifyKey(key, tenant: id).status == .ok)
            #expect(try await client.call(.get, "/_tokend/verify", headers: cockpitHeaders).status == .ok)

            #expect(try await client.portal(.post, "/tenants/\(id)/suspend", jwt).status == .ok)
            #expect(try await client.verifyKey(key, tenant: id).status == .forbidden)
            #expect(try await client.verifyKey(key, tenant: id, uri: "/prometheus/api/v1/query", method: "GET").status == .forbidden)
            #expect(try await client.call(.get, "/_tokend/verify", headers: cockpitHeaders).status == .forbidden)
            // Keys stay active and manageable while suspended.
            let keys = try await client.portal(.get, "/tenants/\(id)/keys", jwt)
            #expect(keys.array.map { $0["status"] as? String } == ["active", "active"])
            #expect(try await client.portal(.post, "/tenants/\(id)/keys", jwt, body: "{}").status == .created)

            #expect(try await client.portal(.post, "/tenants/\(id)/resume", jwt).status == .ok)
            #expect(try await client.verifyKey(key, tenant: id).status == .ok)
            #expect(try await client.call(.get, "/_tokend/verify", headers: cockpitHeaders).status == .ok)
        }
    }

    @Test func usageCountsVerifiedWritesReadsAndBytesAfterTheFlush() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let jwt = try await client.portalLogin()
            let id = try #require(try await client.createTenant(jwt, region: "nl-ams")["id"] as? String)
            let other = try #require(try await client.createTenant(jwt, region: "nl-ams")["id"] as? String)
            let key = try #require(try await client.createKey(jwt, tenant: id)["key"] as? String)
            try await client.createKey(jwt, tenant: id, body: #"{"scope":"read"}"#)
            let otherKey = try #require(try await client.createKey(jwt, tenant: other)["key"] as? String)

            let fresh = try await client.portal(.get, "/dashboard/tenants/\(id)/usage", jwt)
            #expect(fresh.status == .ok)
            #expect(
                fresh.keyOrders == [
                    [
                        "tenant_id", "active_series", "samples_per_second", "dpm", "scrape_interval_seconds", "api_keys", "query_qps",
                        "query_avg_latency_ms", "query_error_rate", "logs_bytes_per_sec", "logs_bytes_stored", "storage_bytes",
                        "updated_at", "verified_writes", "verified_reads", "bytes_pushed", "last_used_at",
                    ]
                ])
            #expect(fresh.json["verified_writes"] as? Int == 0)
            #expect(fresh.json["last_used_at"] is NSNull)

            for _ in 0..<3 {
                #expect(try await client.verifyKey(key, tenant: id, contentLength: 1234).status == .ok)
            }
            #expect(try await client.verifyKey(key, tenant: id, uri: "/prometheus/api/v1/query", method: "GET").status == .ok)
            #expect(try await client.verifyKey(otherKey, tenant: other, contentLength: 99).status == .ok)
            // A refused request counts for nothing.
            #expect(try await client.verifyKey(key, tenant: other, contentLength: 5000).status == .forbidden)
            try await server.flushUsage()

            let usage = try await client.portal(.get, "/dashboard/tenants/\(id)/usage", jwt)
            #expect(usage.status == .ok)
            #expect(usage.json["tenant_id"] as? String == id)
            #expect(usage.json["api_keys"] as? Int == 2)
            #expect(usage.json["verified_writes"] as? Int == 3)
            #expect(usage.json["verified_reads"] as? Int == 1)
            #expect(usage.json["bytes_pushed"] as? Int == 3 * 1234)
            #expect(usage.json["active_series"] as? Int == 0)
            #expect(usage.json["storage_bytes"] as? Int == 0)
            #expect(Self.matches(usage.json["last_used_at"], #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#), "\(usage.text)")
            let list = try await client.portal(.get, "/tenants/\(id)/keys", jwt).array
            #expect(list.map { $0["last_used_at"] is NSNull } == [false, true])

            let aliased = try await client.portal(.get, "/api/portal/tenants/\(id)/dashboard/summary", jwt)
            #expect(aliased.json["verified_writes"] as? Int == 3)
            let others = try await client.portal(.get, "/dashboard/tenants/\(other)/usage", jwt)
            #expect(others.json["verified_writes"] as? Int == 1)
            #expect(others.json["bytes_pushed"] as? Int == 99)
            #expect(others.json["api_keys"] as? Int == 1)
            #expect(try await client.portal(.get, "/dashboard/tenants/xs_default_zzzzzzzz/usage", jwt).status == .notFound)
        }
    }

    @Test func cockpitTokensOfTheTenantsProjectAreItsKeysAndItsKeysAreCockpitTokens() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try await client.createTenant(jwt, region: "pl-waw", headers: Self.prefer)
            let id = try #require(tenant["id"] as? String)
            let project = try #require(tenant["project_id"] as? String)
            let key = try await client.createKey(jwt, tenant: id, body: #"{"display_name":"xscaler-key","scope":"write"}"#)
            let keyID = try #require(key["id"] as? String)

            let both = try await client.createToken(
                region: "pl-waw", project: project, name: "cockpit-both", scopes: ["read_only_metrics", "write_only_logs"])
            let reads = try await client.createToken(region: "pl-waw", project: project, name: "cockpit-read", scopes: ["read_only_traces"])
            try await client.createToken(region: "pl-waw", project: project, name: "cockpit-alerts", scopes: ["full_access_alert_manager"])

            let keys = try await client.portal(.get, "/tenants/\(id)/keys", jwt).array
            // A token with neither read nor write scopes has no xScaler name: it is left out.
            #expect(keys.map { $0["display_name"] as? String } == ["xscaler-key", "cockpit-both", "cockpit-read"])
            #expect(keys.map { $0["scope"] as? String } == ["write", "read+write", "read"])
            let bothID = try #require(both["id"] as? String)
            #expect(keys.dropFirst().first?["id"] as? String == "key_" + bothID.filter { $0 != "-" })
            let readsID = try #require(reads["id"] as? String)
            let fetched = try await client.portal(.get, "/tenants/\(id)/keys/key_\(readsID.filter { $0 != "-" })", jwt)
            #expect(fetched.json["scope"] as? String == "read")

            let cockpit = try await client.call(.get, tokensPath("pl-waw") + "?project_id=\(project)")
            #expect(cockpit.status == .ok)
            #expect(cockpit.json["total_count"] as? Int == 4)
            let xscaler = cockpit.tokens.first { $0["id"] as? String == Self.tokenID(ofKey: keyID) }
            #expect(xscaler?["name"] as? String == "xscaler-key")
            #expect(xscaler?["project_id"] as? String == project)
            #expect(Set(xscaler?["scopes"] as? [String] ?? []) == ["write_only_metrics", "write_only_logs", "write_only_traces"])

            // A Cockpit secret of the tenant's project answers to the tenant's id too.
            let secret = try #require(both["secret_key"] as? String)
            let verified = try await client.call(
                .get, "/_tokend/verify", headers: [.authorization: "Bearer \(secret)", .scopeOrgID: id, .tokendOperation: "logs.push"])
            #expect(verified.status == .ok, "\(verified.text)")
            #expect(verified.headers[.scopeOrgID] == id)
        }
    }

    @Test func cockpitRotationAndDeletionOfAnXScalerKeyActOnTheSameKey() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt)["id"] as? String)
            let created = try await client.createKey(jwt, tenant: tenant, body: #"{"display_name":"shared-key"}"#)
            let keyID = try #require(created["id"] as? String)
            let old = try #require(created["key"] as? String)
            let tokenPath = tokensPath() + "/" + Self.tokenID(ofKey: keyID)

            // Rotated through Cockpit, the key keeps its xScaler style.
            let rotated = try await client.call(.post, tokenPath + "/rotate")
            #expect(rotated.status == .ok, "\(rotated.text)")
            let new = try #require(rotated.json["secret_key"] as? String)
            #expect(PortalKeyTests.matches(new, "xag_[a-z0-9]{32}"), "\(new)")
            #expect(try await client.verifyKey(old, tenant: tenant).status == .unauthorized)
            #expect(try await client.verifyKey(new, tenant: tenant).status == .ok)
            let listed = try await client.portal(.get, "/tenants/\(tenant)/keys", jwt).array
            #expect(listed.first?["prefix"] as? String == String(new.prefix(8)))
            let events = try await client.portal(.get, "/activity?type=api_key.rotated", jwt).json["events"] as? [[String: Any]]
            #expect(events?.map { $0["target"] as? String } == [keyID])

            // Deleted through Cockpit, it stops at once and leaves the portal's list.
            #expect(try await client.call(.delete, tokenPath).status == .noContent)
            #expect(try await client.verifyKey(new, tenant: tenant).status == .unauthorized)
            #expect(try await client.portal(.get, "/tenants/\(tenant)/keys", jwt).array.isEmpty)
            #expect(try await client.call(.get, tokenPath).status == .notFound)
        }
    }

    @Test func aPortalRevokeOfACockpitTokenIsACockpitDeletion() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try await client.createTenant(jwt, headers: Self.prefer)
            let id = try #require(tenant["id"] as? String)
            let project = try #require(tenant["project_id"] as? String)
            let token = try await client.createToken(project: project, scopes: ["write_only_metrics"])
            let tokenID = try #require(token["id"] as? String)
            let secret = try #require(token["secret_key"] as? String)
            let keyID = "key_" + tokenID.filter { $0 != "-" }
            #expect(try await client.portal(.delete, "/tenants/\(id)/keys/\(keyID)", jwt).status == .noContent)
            #expect(try await client.call(.get, tokensPath() + "/\(tokenID)").status == .notFound)
            let verify: HTTPFields = [.authorization: "Bearer \(secret)", .scopeOrgID: project, .tokendOperation: "metrics.push"]
            #expect(try await client.call(.get, "/_tokend/verify", headers: verify).status == .unauthorized)
            let row = try await client.portal(.get, "/tenants/\(id)/keys/\(keyID)", jwt)
            #expect(row.json["status"] as? String == "revoked")
            #expect(row.json["scope"] as? String == "write")
            // And the tenant's deletion takes its Cockpit tokens with it.
            let other = try await client.createToken(project: project, scopes: ["read_only_logs"])
            #expect(try await client.portal(.delete, "/tenants/\(id)", jwt).status == .noContent)
            #expect(try await client.call(.get, tokensPath() + "/\(other["id"] as? String ?? "")").status == .notFound)
        }
    }
}
