import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

/// `GET /activity`: every management action on a tenant, newest first across regions,
/// with its actor, target and before/after states; filters and cursor paging.
@Suite struct PortalActivityTests {
    static let eventFields = [
        "id", "type", "timestamp", "actor", "tenant_id", "target", "result", "summary", "metadata", "before", "after",
    ]

    static func events(_ answer: Answer) -> [[String: Any]] { answer.json["events"] as? [[String: Any]] ?? [] }

    static func strings(_ value: Any?) -> [String: String]? { value as? [String: String] }

    @Test func everyActionIsAnEventNewestFirstWithActorTargetAndStates() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin(email: "alice@example.com")
            let tenant = try #require(try await client.createTenant(jwt, displayName: "Payments")["id"] as? String)
            #expect(
                try await client.portal(.patch, "/tenants/\(tenant)", jwt, body: #"{"display_name":"Payments EU","environment":"prod"}"#)
                    .status == .ok)
            #expect(try await client.portal(.post, "/tenants/\(tenant)/suspend", jwt).status == .ok)
            #expect(try await client.portal(.post, "/tenants/\(tenant)/resume", jwt).status == .ok)
            let key = try await client.createKey(jwt, tenant: tenant, body: #"{"display_name":"collector"}"#)
            let keyID = try #require(key["id"] as? String)
            let rotated = try await client.portal(.post, "/tenants/\(tenant)/keys/\(keyID)/rotate", jwt)
            #expect(rotated.status == .ok)
            #expect(try await client.portal(.delete, "/tenants/\(tenant)/keys/\(keyID)", jwt).status == .noContent)
            // A PATCH that changes nothing is no event.
            #expect(try await client.portal(.patch, "/tenants/\(tenant)", jwt, body: #"{"environment":"prod"}"#).status == .ok)

            let answer = try await client.portal(.get, "/activity", jwt)
            #expect(answer.status == .ok)
            #expect(answer.keyOrders.first == ["events", "next_cursor"])
            #expect(answer.json["next_cursor"] is NSNull)
            let events = Self.events(answer)
            #expect(
                events.map { $0["type"] as? String } == [
                    "api_key.revoked", "api_key.rotated", "api_key.created", "tenant.activated", "tenant.suspended",
                    "tenant.metadata_updated", "tenant.created",
                ])
            #expect(answer.keyOrders.filter { $0.first == "id" } == Array(repeating: Self.eventFields, count: 7))
            #expect(Set(events.compactMap { $0["id"] as? String }).count == 7)
            #expect(events.allSatisfy { ($0["id"] as? String)?.hasPrefix("evt_") == true })
            #expect(events.allSatisfy { ($0["actor"] as? [String: String]) == ["email": "alice@example.com"] })
            #expect(events.allSatisfy { $0["tenant_id"] as? String == tenant })
            #expect(events.allSatisfy { $0["result"] as? String == "success" })
            #expect(events.allSatisfy { PortalTenantTests.matches($0["timestamp"], #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#) })
            let times = events.compactMap { ($0["timestamp"] as? String).flatMap(Timestamp.init(rfc3339:)) }
            #expect(times.count == 7)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 >= $1 })
            #expect(events.map { $0["target"] as? String } == Array(repeating: keyID, count: 3) + Array(repeating: tenant, count: 4))

            let byType = Dictionary(events.map { ($0["type"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            let updated = try #require(byType["tenant.metadata_updated"])
            #expect(Self.strings(updated["before"]) == ["display_name": "Payments", "environment": ""])
            #expect(Self.strings(updated["after"]) == ["display_name": "Payments EU", "environment": "prod"])
            #expect(Self.strings(updated["metadata"])?["display_name"] == "Payments EU")
            #expect(updated["summary"] as? String == "Tenant \(tenant) (Payments EU) updated")
            let suspended = try #require(byType["tenant.suspended"])
            #expect(Self.strings(suspended["before"]) == ["status": "active"])
            #expect(Self.strings(suspended["after"]) == ["status": "suspended"])
            let activated = try #require(byType["tenant.activated"])
            #expect(Self.strings(activated["before"]) == ["status": "suspended"])
            #expect(Self.strings(activated["after"]) == ["status": "active"])
            let created = try #require(byType["tenant.created"])
            #expect(created["before"] is NSNull)
            #expect(
                Self.strings(created["after"]) == ["display_name": "Payments", "environment": "", "region": "fr-par", "status": "active"])
            let keyCreated = try #require(byType["api_key.created"])
            #expect(keyCreated["before"] is NSNull)
            #expect(keyCreated["after"] is NSNull)
            #expect(Self.strings(keyCreated["metadata"])?["display_name"] == "collector")
            #expect(Self.strings(keyCreated["metadata"])?["prefix"] == key["prefix"] as? String)
        }
    }

    @Test func aCockpitActionOnTheTenantsProjectIsAnEventWithTheKeyPrefixAsActor() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try await client.createTenant(jwt, headers: [.prefer: "tokend-extensions"])
            let id = try #require(tenant["id"] as? String)
            let project = try #require(tenant["project_id"] as? String)
            let token = try await client.createToken(project: project, scopes: ["read_only_logs"], headers: [.authToken: "cockpit-admin-1"])
            let tokenID = try #require(token["id"] as? String)
            // Tokens of projects that are no tenant's are no portal event.
            try await client.createToken(project: projectB)

            let events = Self.events(try await client.portal(.get, "/activity", jwt))
            #expect(events.map { $0["type"] as? String } == ["api_key.created", "tenant.created"])
            let first = try #require(events.first)
            #expect((first["actor"] as? [String: String]) == ["key_prefix": "cockpit-"])
            #expect(first["tenant_id"] as? String == id)
            #expect(first["target"] as? String == "key_" + tokenID.filter { $0 != "-" })
        }
    }

    @Test func typeTenantAndFreeTextFilterTheTrail() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let payments = try #require(try await client.createTenant(jwt, displayName: "Payments", region: "fr-par")["id"] as? String)
            let search = try #require(try await client.createTenant(jwt, displayName: "Search", region: "nl-ams")["id"] as? String)
            let paymentsKey = try #require(
                try await client.createKey(jwt, tenant: payments, body: #"{"display_name":"pay-key"}"#)["id"] as? String)
            try await client.createKey(jwt, tenant: search, body: #"{"display_name":"search-key"}"#)
            #expect(try await client.portal(.post, "/tenants/\(search)/suspend", jwt).status == .ok)
            #expect(try await client.portal(.post, "/tenants/\(payments)/keys/\(paymentsKey)/rotate", jwt).status == .ok)

            func types(_ query: String) async throws -> [String?] {
                let answer = try await client.portal(.get, "/activity?\(query)", jwt)
                #expect(answer.status == .ok, "\(query): \(answer.text)")
                return Self.events(answer).map { $0["type"] as? String }
            }
            func tenants(_ query: String) async throws -> [String?] {
                Self.events(try await client.portal(.get, "/activity?\(query)", jwt)).map { $0["tenant_id"] as? String }
            }
            #expect(
                try await types("") == [
                    "api_key.rotated", "tenant.suspended", "api_key.created", "api_key.created", "tenant.created", "tenant.created",
                ])
            #expect(try await types("type=tenant.suspended") == ["tenant.suspended"])
            #expect(try await tenants("type=tenant.created") == [search, payments])
            #expect(try await tenants("type=api_key.created") == [search, payments])
            #expect(try await types("tenant_id=\(search)") == ["tenant.suspended", "api_key.created", "tenant.created"])
            #expect(try await tenants("tenant_id=\(payments)") == [payments, payments, payments])
            #expect(try await types("tenant_id=\(payments)&type=api_key.created") == ["api_key.created"])
            #expect(try await types("tenant_id=xs_default_zzzzzzzz").isEmpty)
            #expect(try await types("tenant_id=not-a-tenant").isEmpty)
            // Free text: the key id, a display name, the type; `%` is a character, not a wildcard.
            #expect(try await types("q=\(paymentsKey)") == ["api_key.rotated", "api_key.created"])
            // Case-insensitive: the Search tenant's own events, and its key named search-key.
            #expect(try await tenants("q=Search") == [search, search, search])
            #expect(try await types("q=Search") == ["tenant.suspended", "api_key.created", "tenant.created"])
            #expect(try await types("q=search-key") == ["api_key.created"])
            #expect(try await types("q=suspended") == ["tenant.suspended"])
            #expect(try await types("q=%25").isEmpty)
            #expect(try await types("q=nothing-matches-this").isEmpty)
            #expect(try await types("q=pay-key&type=api_key.rotated") == ["api_key.rotated"])
        }
    }

    @Test func pagesAcrossThreeRegionsReturnEveryEventOnceInOrder() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            var tenants: [String] = []
            for region in ["pl-waw", "fr-par", "nl-ams"] {
                tenants.append(try #require(try await client.createTenant(jwt, displayName: region, region: region)["id"] as? String))
            }
            for tenant in tenants.reversed() {
                #expect(try await client.portal(.patch, "/tenants/\(tenant)", jwt, body: #"{"environment":"prod"}"#).status == .ok)
            }
            for tenant in tenants { try await client.createKey(jwt, tenant: tenant) }

            let whole = try await client.portal(.get, "/activity?limit=200", jwt)
            #expect(whole.json["next_cursor"] is NSNull)
            let all = Self.events(whole).compactMap { $0["id"] as? String }
            #expect(all.count == 9)
            #expect(Set(all).count == 9)
            let newestFirst = Array(tenants.reversed())
            #expect(Self.events(whole).map { $0["tenant_id"] as? String ?? "" } == newestFirst + tenants + newestFirst)

            for limit in [1, 2, 3, 4, 8, 9] {
                var seen: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let query = "/activity?limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try await client.portal(.get, query, jwt)
                    #expect(page.status == .ok, "\(query): \(page.text)")
                    let ids = Self.events(page).compactMap { $0["id"] as? String }
                    #expect(ids.count == min(limit, 9 - seen.count), "limit \(limit), page \(pages + 1)")
                    seen += ids
                    cursor = page.json["next_cursor"] as? String
                    pages += 1
                } while cursor != nil && pages < 20
                #expect(seen == all, "limit \(limit)")
                #expect(pages == (9 + limit - 1) / limit, "limit \(limit)")
            }
            // The default limit is 50, so all nine fit.
            #expect(Self.events(try await client.portal(.get, "/activity", jwt)).count == 9)
            // Filters and the cursor together.
            let first = try await client.portal(.get, "/activity?type=api_key.created&limit=2", jwt)
            let next = try #require(first.json["next_cursor"] as? String)
            let rest = try await client.portal(.get, "/activity?type=api_key.created&limit=2&cursor=\(next)", jwt)
            #expect((Self.events(first) + Self.events(rest)).map { $0["tenant_id"] as? String ?? "" } == newestFirst)
            #expect(rest.json["next_cursor"] is NSNull)
        }
    }

    @Test func theLargestPageStillTellsThatMoreEventsExist() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt, region: "nl-ams")["id"] as? String)
            // 1 create and 200 changes: 201 events, all in one region.
            for index in 0..<200 {
                let body = #"{"environment":"env-\#(index)"}"#
                #expect(try await client.portal(.patch, "/tenants/\(tenant)", jwt, body: body).status == .ok)
            }
            let first = try await client.portal(.get, "/activity?limit=200", jwt)
            #expect(Self.events(first).count == 200)
            let next = try #require(first.json["next_cursor"] as? String, "201 events, a page of 200: there is a next page")
            let second = try await client.portal(.get, "/activity?limit=200&cursor=\(next)", jwt)
            #expect(Self.events(second).map { $0["type"] as? String } == ["tenant.created"])
            #expect(second.json["next_cursor"] is NSNull)
        }
    }

    @Test func freeTextKeepsPlusAmpersandAndSpacesAsTyped() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let plus = try #require(try await client.createTenant(jwt, displayName: "C++ Team", region: "pl-waw")["id"] as? String)
            let ampersand = try #require(try await client.createTenant(jwt, displayName: "R&D Lab", region: "nl-ams")["id"] as? String)
            let spaced = try #require(try await client.createTenant(jwt, displayName: "C Team", region: "fr-par")["id"] as? String)
            func tenants(_ query: String) async throws -> [String?] {
                let answer = try await client.portal(.get, "/activity?\(query)", jwt)
                #expect(answer.status == .ok, "\(query): \(answer.text)")
                return Self.events(answer).map { $0["tenant_id"] as? String }
            }
            #expect(try await tenants("q=C%2B%2B") == [plus])
            #expect(try await tenants("q=R%26D") == [ampersand])
            #expect(try await tenants("q=C%20Team") == [spaced])
            #expect(try await tenants("q=Team") == [spaced, plus])
        }
    }

    @Test func freeTextMatchesTheWordsOfTheSummary() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try #require(try await client.createTenant(jwt, displayName: "Payments")["id"] as? String)
            #expect(try await client.portal(.post, "/tenants/\(tenant)/suspend", jwt).status == .ok)
            #expect(try await client.portal(.post, "/tenants/\(tenant)/resume", jwt).status == .ok)
            let events = Self.events(try await client.portal(.get, "/activity", jwt))
            let resumed = try #require(events.first)
            #expect(resumed["summary"] as? String == "Tenant \(tenant) (Payments) resumed")
            // The reference's activity page (D-ACT): free text searches the summary or the target.
            let found = Self.events(try await client.portal(.get, "/activity?q=resumed", jwt))
            #expect(found.map { $0["type"] as? String } == ["tenant.activated"])
        }
    }

    @Test func aBadLimitCursorOrTypeIs400() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            try await client.createTenant(jwt)
            for query in [
                "limit=0", "limit=201", "limit=-1", "limit=abc", "limit=1.5", "limit=1&limit=2", "cursor=garbage", "cursor=1.fr-par",
                "cursor=x.fr-par.1", "cursor=1.Paris.1", "type=nope", "type=api_key.denied", "type=tenant", "type=Tenant.Created",
                "q=\(String(repeating: "q", count: 201))",
            ] {
                let refused = try await client.portal(.get, "/activity?\(query)", jwt)
                #expect(refused.status == .badRequest, "\(query): \(refused.text)")
                #expect(refused.json["error"] as? String == "invalid_request", "\(query)")
                #expect(refused.keyOrders == [["error", "message"]], "\(query)")
            }
            for query in ["limit=1", "limit=200", "type=", "cursor=", "q="] {
                #expect(try await client.portal(.get, "/activity?\(query)", jwt).status == .ok, "\(query)")
            }
        }
    }
}
