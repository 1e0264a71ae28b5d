import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

/// The portal's tenants (docs/portal.md): sign-in, create, list, get, PATCH, suspend and
/// resume, delete, regions, the plan's cap and the other spellings.
@Suite struct PortalTenantTests {
    static let tenantFields = [
        "id", "display_name", "environment", "region", "metrics_host", "logs_host", "traces_host", "created_at", "status",
    ]
    static let defaultOrganization = "xs_org_8f5e124213d9c417cc7856ca9b204ee3"
    static let prefer: HTTPFields = [.prefer: "tokend-extensions"]

    static func matches(_ text: Any?, _ pattern: String) -> Bool {
        guard let text = text as? String else { return false }
        return text.wholeMatch(of: try! Regex(pattern)) != nil
    }

    /// The JWT's payload, decoded (base64url, no padding).
    static func claims(of jwt: String) throws -> [String: Any] {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw TestFailure("a JWT has three parts: \(jwt)") }
        func decode(_ part: Substring) throws -> [String: Any] {
            var base64 = String(part).replacing("-", with: "+").replacing("_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            guard let data = Data(base64Encoded: base64),
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw TestFailure("not base64url JSON: \(part)") }
            return object
        }
        let header = try decode(parts[0])
        guard header["alg"] as? String == "HS256" else { throw TestFailure("alg is \(header["alg"] ?? "missing")") }
        return try decode(parts[1])
    }

    @Test func openModeSignsAnyEmailInAsOwnerWithAThirtyMinuteJWT() async throws {
        try await TestServer().run { client in
            let login = try await client.call(
                .post, "/auth/login", headers: [.contentType: "application/json"],
                body: #"{"email":"training@example.com","password":"Training123!"}"#)
            #expect(login.status == .ok)
            #expect(login.keyOrders.first == ["token"])
            let jwt = try #require(login.json["token"] as? String)
            let claims = try Self.claims(of: jwt)
            #expect(claims["sub"] as? String == Self.defaultOrganization)
            #expect(claims["org_id"] as? String == Self.defaultOrganization)
            #expect(claims["email"] as? String == "training@example.com")
            #expect(claims["role"] as? String == "owner")
            let issued = try #require(claims["iat"] as? Double)
            let expires = try #require(claims["exp"] as? Double)
            #expect(expires - issued == 1800)
            #expect(abs(issued - Date().timeIntervalSince1970) < 60)
            #expect(try await client.portal(.get, "/tenants", jwt).status == .ok)

            // A password is still required, and the body's fields are checked.
            let empty = try await client.call(
                .post, "/auth/login", headers: [.contentType: "application/json"], body: #"{"email":"a@example.com","password":""}"#)
            #expect(empty.status == .badRequest)
            #expect(empty.json["error"] as? String == "invalid_request")
            let extra = try await client.call(
                .post, "/auth/login", headers: [.contentType: "application/json"],
                body: #"{"email":"a@example.com","password":"x","remember":true}"#)
            #expect(extra.status == .badRequest)
        }
    }

    @Test func aCreatedTenantIs201WithItsFieldsInTheDocumentedOrder() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let created = try await client.portal(
                .post, "/tenants", jwt, body: #"{"display_name":"Payment Service Production","environment":"prod"}"#)
            #expect(created.status == .created)
            #expect(created.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(created.keyOrders == [Self.tenantFields])
            let tenant = created.json
            let id = try #require(tenant["id"] as? String)
            #expect(Self.matches(id, "xs_default_[a-z2-7]{8}"), "\(id)")
            #expect(tenant["display_name"] as? String == "Payment Service Production")
            #expect(tenant["environment"] as? String == "prod")
            // The default region is the first served by name.
            #expect(tenant["region"] as? String == "fr-par")
            #expect(tenant["metrics_host"] as? String == "fr-par.m.tokend.localhost")
            #expect(tenant["logs_host"] as? String == "fr-par.l.tokend.localhost")
            #expect(tenant["traces_host"] as? String == "fr-par.t.tokend.localhost")
            #expect(Self.matches(tenant["created_at"], #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#), "\(tenant["created_at"] ?? "")")
            let createdAt = try #require(Timestamp(rfc3339: tenant["created_at"] as? String ?? ""))
            #expect(abs(createdAt.microsecondsSinceEpoch - Timestamp.now().microsecondsSinceEpoch) < 60_000_000)
            #expect(tenant["status"] as? String == "active")

            let fetched = try await client.portal(.get, "/tenants/\(id)", jwt)
            #expect(fetched.status == .ok)
            #expect(fetched.text == created.text)
        }
    }

    @Test func theDisplayNameDefaultsToTheIDAndTheEnvironmentToEmpty() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let tenant = try await client.createTenant(jwt)
            let id = try #require(tenant["id"] as? String)
            #expect(tenant["display_name"] as? String == id)
            #expect(tenant["environment"] as? String == "")
            let refused = try await client.portal(.post, "/tenants", jwt, body: #"{"display_name":"x","cluster_id":"c1"}"#)
            #expect(refused.status == .badRequest)
            #expect(refused.json["error"] as? String == "invalid_request")
            #expect(refused.keyOrders == [["error", "message"]])
            #expect(try await client.portal(.post, "/tenants", jwt, body: #"{"display_name":""}"#).status == .badRequest)
            #expect(try await client.portal(.get, "/tenants", jwt).array.count == 1)
        }
    }

    @Test func theListIsABareArrayOldestFirstAcrossRegions() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let empty = try await client.portal(.get, "/tenants", jwt)
            #expect(empty.status == .ok)
            #expect(empty.text.filter { !$0.isWhitespace } == "[]")

            var ids: [String] = []
            for (name, region) in [("warsaw", "pl-waw"), ("paris", "fr-par"), ("amsterdam", "nl-ams")] {
                let tenant = try await client.createTenant(jwt, displayName: name, region: region)
                #expect(tenant["region"] as? String == region)
                #expect(tenant["metrics_host"] as? String == "\(region).m.tokend.localhost")
                ids.append(try #require(tenant["id"] as? String))
            }
            let list = try await client.portal(.get, "/tenants", jwt)
            #expect(list.status == .ok)
            #expect(list.text.hasPrefix("["))
            #expect(list.array.map { $0["id"] as? String } == ids)
            #expect(list.array.map { $0["region"] as? String } == ["pl-waw", "fr-par", "nl-ams"])
            #expect(list.array.map { $0["display_name"] as? String } == ["warsaw", "paris", "amsterdam"])
            #expect(list.keyOrders == Array(repeating: Self.tenantFields, count: 3))
            // Each tenant is found in its own region.
            for (id, region) in zip(ids, ["pl-waw", "fr-par", "nl-ams"]) {
                #expect(try await client.portal(.get, "/tenants/\(id)", jwt).json["region"] as? String == region)
            }
        }
    }

    @Test func patchChangesTheDisplayNameAndEnvironmentAndRefusesWhatItCannotTake() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let id = try #require(try await client.createTenant(jwt, displayName: "Payments", environment: "prod")["id"] as? String)
            let path = "/tenants/\(id)"

            let renamed = try await client.portal(.patch, path, jwt, body: #"{"display_name":"Payments EU"}"#)
            #expect(renamed.status == .ok)
            #expect(renamed.keyOrders == [Self.tenantFields])
            #expect(renamed.json["display_name"] as? String == "Payments EU")
            #expect(renamed.json["environment"] as? String == "prod")

            let staged = try await client.portal(.patch, path, jwt, body: #"{"environment":"staging"}"#)
            #expect(staged.json["display_name"] as? String == "Payments EU")
            #expect(staged.json["environment"] as? String == "staging")

            let cleared = try await client.portal(.patch, path, jwt, body: #"{"environment":""}"#)
            #expect(cleared.status == .ok)
            #expect(cleared.json["environment"] as? String == "")

            let both = try await client.portal(.patch, path, jwt, body: #"{"display_name":"Payments","environment":"dev"}"#)
            #expect(both.json["display_name"] as? String == "Payments")
            #expect(both.json["environment"] as? String == "dev")

            let refusals = [
                (#"{"display_name":""}"#, "display_name"),
                (#"{"display_name":"\#(String(repeating: "n", count: 65))"}"#, "display_name"),
                (#"{"environment":"\#(String(repeating: "e", count: 33))"}"#, "environment"),
                (#"{"colour":"blue"}"#, "colour"),
                (#"{"region":"nl-ams"}"#, "region"),
                (#"{"status":"suspended"}"#, "status"),
                (#"{"display_name":42}"#, "display_name"),
                (#"["display_name"]"#, "body"),
            ]
            for (body, field) in refusals {
                let refused = try await client.portal(.patch, path, jwt, body: body)
                #expect(refused.status == .badRequest, "\(body): \(refused.text)")
                #expect(refused.json["error"] as? String == "invalid_request", "\(body)")
                #expect((refused.json["message"] as? String)?.contains(field) == true, "\(body): \(refused.text)")
            }
            // Nothing refused changed anything; an empty PATCH changes nothing.
            let unchanged = try await client.portal(.patch, path, jwt, body: "{}")
            #expect(unchanged.status == .ok)
            #expect(unchanged.text == both.text)
            #expect(try await client.portal(.get, path, jwt).text == both.text)
            #expect(try await client.portal(.patch, "/tenants/xs_default_zzzzzzzz", jwt, body: "{}").status == .notFound)
        }
    }

    @Test func suspendAndResumeAreIdempotentAndEachChangeIsOneEvent() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let id = try #require(try await client.createTenant(jwt, displayName: "Payments")["id"] as? String)
            for path in ["suspend", "suspend", "pause"] {
                let answer = try await client.portal(.post, "/tenants/\(id)/\(path)", jwt)
                #expect(answer.status == .ok, "\(path): \(answer.text)")
                #expect(answer.keyOrders == [Self.tenantFields])
                #expect(answer.json["status"] as? String == "suspended", "\(path)")
            }
            #expect(try await client.portal(.get, "/tenants/\(id)", jwt).json["status"] as? String == "suspended")
            for _ in 0..<2 {
                let answer = try await client.portal(.post, "/tenants/\(id)/resume", jwt)
                #expect(answer.status == .ok)
                #expect(answer.json["status"] as? String == "active")
            }
            #expect(try await client.portal(.get, "/tenants/\(id)", jwt).json["status"] as? String == "active")
            let suspended = try await client.portal(.get, "/activity?type=tenant.suspended", jwt)
            #expect((suspended.json["events"] as? [[String: Any]])?.count == 1)
            let activated = try await client.portal(.get, "/activity?type=tenant.activated", jwt)
            #expect((activated.json["events"] as? [[String: Any]])?.count == 1)
            #expect(try await client.portal(.post, "/tenants/xs_default_zzzzzzzz/suspend", jwt).status == .notFound)
        }
    }

    @Test func aDeletedTenantIs204ThenNotFoundAndItsKeysStopVerifying() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let id = try #require(try await client.createTenant(jwt, displayName: "doomed")["id"] as? String)
            let kept = try #require(try await client.createTenant(jwt, displayName: "kept")["id"] as? String)
            let key = try #require(try await client.createKey(jwt, tenant: id)["key"] as? String)
            let keptKey = try #require(try await client.createKey(jwt, tenant: kept)["key"] as? String)
            #expect(try await client.verifyKey(key, tenant: id).status == .ok)

            let deleted = try await client.portal(.delete, "/tenants/\(id)", jwt)
            #expect(deleted.status == .noContent)
            #expect(deleted.text.isEmpty)

            let missing = try await client.portal(.get, "/tenants/\(id)", jwt)
            #expect(missing.status == .notFound)
            #expect(missing.json["error"] as? String == "not_found")
            #expect(try await client.portal(.delete, "/tenants/\(id)", jwt).status == .notFound)
            #expect(try await client.portal(.get, "/tenants/\(id)/keys", jwt).status == .notFound)
            #expect(try await client.portal(.patch, "/tenants/\(id)", jwt, body: #"{"display_name":"back"}"#).status == .notFound)
            #expect(try await client.portal(.get, "/tenants", jwt).array.map { $0["id"] as? String } == [kept])
            #expect(try await client.verifyKey(key, tenant: id).status == .unauthorized)
            // The other tenant's keys are untouched.
            #expect(try await client.verifyKey(keptKey, tenant: kept).status == .ok)
            let events = try await client.portal(.get, "/activity?type=tenant.deleted", jwt).json["events"] as? [[String: Any]]
            #expect(events?.map { $0["tenant_id"] as? String } == [id])
        }
    }

    @Test func anUnknownRegionIs400NamingTheServedRegions() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            for region in ["de-fra", "Not A Region"] {
                let refused = try await client.portal(.post, "/tenants", jwt, body: #"{"region":"\#(region)"}"#)
                #expect(refused.status == .badRequest, "\(region)")
                #expect(refused.json["error"] as? String == "invalid_request")
                let message = refused.json["message"] as? String ?? ""
                #expect(message.contains("fr-par, nl-ams, pl-waw"), "\(message)")
                #expect(message.contains(region), "\(message)")
            }
            #expect(try await client.portal(.get, "/tenants", jwt).array.isEmpty)
        }
    }

    @Test func theFreePlansFourthTenantIs402AndNothingIsCreated() async throws {
        let free = PortalAccess.open(Organization(displayName: "Default", plan: .free))
        try await TestServer(portalAccess: free).run { client in
            let jwt = try await client.portalLogin()
            // The cap counts every region's tenants.
            for region in ["fr-par", "nl-ams", "pl-waw"] { try await client.createTenant(jwt, region: region) }
            for region in ["fr-par", "nl-ams"] {
                let refused = try await client.portal(.post, "/tenants", jwt, body: #"{"region":"\#(region)"}"#)
                #expect(refused.status.code == 402, "\(region): \(refused.text)")
                #expect(refused.json["error"] as? String == "tenant_limit_reached")
                #expect((refused.json["message"] as? String)?.contains("3") == true)
            }
            #expect(try await client.portal(.get, "/tenants", jwt).array.count == 3)
            let created = try await client.portal(.get, "/activity?type=tenant.created", jwt).json["events"] as? [[String: Any]]
            #expect(created?.count == 3)
            let summary = try await client.portal(.get, "/dashboard/org/summary", jwt)
            #expect(summary.json["billing_plan"] as? String == "free")
            #expect(summary.json["tenants"] as? Int == 3)
            #expect(summary.json["plan_max_tenants"] as? Int == 3)
            #expect(summary.json["plan_max_active_series"] as? Int == 10_000)

            // A deleted tenant frees its place.
            let first = try #require(try await client.portal(.get, "/tenants", jwt).array.first?["id"] as? String)
            #expect(try await client.portal(.delete, "/tenants/\(first)", jwt).status == .noContent)
            #expect(try await client.portal(.post, "/tenants", jwt, body: "{}").status == .created)
        }
    }

    @Test func concurrentCreatesDoNotPassThePlansCap() async throws {
        let free = PortalAccess.open(Organization(displayName: "Default", plan: .free))
        try await TestServer(portalAccess: free).run { client in
            let jwt = try await client.portalLogin()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    let region = TestServer.regions[index % 3].rawValue
                    group.addTask { try await client.portal(.post, "/tenants", jwt, body: #"{"region":"\#(region)"}"#).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 3, "\(statuses.sorted())")
            #expect(statuses.filter { $0 == 402 }.count == 5, "\(statuses.sorted())")
            #expect(try await client.portal(.get, "/tenants", jwt).array.count == 3)
        }
    }

    @Test func concurrentChangesToATenantAreNotLost() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let id = try #require(try await client.createTenant(jwt, displayName: "start", environment: "start")["id"] as? String)
            let path = "/tenants/\(id)"
            let key = try #require(try await client.createKey(jwt, tenant: id)["key"] as? String)
            for round in 0..<10 {
                // A rename, a new environment and a suspension at once: each touches its own field.
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    group.addTask { try await client.portal(.patch, path, jwt, body: #"{"display_name":"name-\#(round)"}"#).status.code }
                    group.addTask { try await client.portal(.patch, path, jwt, body: #"{"environment":"env-\#(round)"}"#).status.code }
                    group.addTask { try await client.portal(.post, path + "/suspend", jwt).status.code }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses == [200, 200, 200], "round \(round)")
                let tenant = try await client.portal(.get, path, jwt).json
                #expect(tenant["display_name"] as? String == "name-\(round)", "round \(round)")
                #expect(tenant["environment"] as? String == "env-\(round)", "round \(round)")
                #expect(tenant["status"] as? String == "suspended", "round \(round)")
                // The suspension was answered 200: the tenant's keys must be refused.
                #expect(try await client.verifyKey(key, tenant: id).status == .forbidden, "round \(round)")
                #expect(try await client.portal(.post, path + "/resume", jwt).json["status"] as? String == "active")
            }
        }
    }

    @Test func openModeMembersAreThoseWhoSignedIn() async throws {
        try await TestServer().run { client in
            let bob = try await client.portalLogin(email: "bob@example.com")
            _ = try await client.portalLogin(email: "alice@example.com")
            let members = try await client.portal(.get, "/org/members", bob)
            #expect(members.status == .ok)
            #expect(members.array.map { $0["email"] as? String } == ["alice@example.com", "bob@example.com"])
            #expect(members.array.map { $0["role"] as? String } == ["owner", "owner"])
            #expect(members.array.allSatisfy { $0["organization_id"] as? String == Self.defaultOrganization })
        }
    }

    @Test func theOrgSummaryCountsLogBytesPushedThisMonth() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let jwt = try await client.portalLogin()
            let paris = try #require(try await client.createTenant(jwt, region: "fr-par")["id"] as? String)
            let warsaw = try #require(try await client.createTenant(jwt, region: "pl-waw")["id"] as? String)
            let parisKey = try #require(try await client.createKey(jwt, tenant: paris)["key"] as? String)
            let warsawKey = try #require(try await client.createKey(jwt, tenant: warsaw)["key"] as? String)
            let fresh = try await client.portal(.get, "/dashboard/org/summary", jwt)
            #expect(
                fresh.keyOrders == [
                    [
                        "billing_plan", "org_active_series", "plan_max_active_series", "org_logs_gb_ingested_this_month", "tenants",
                        "plan_max_tenants",
                    ]
                ])
            #expect(fresh.json["billing_plan"] as? String == "scale")
            #expect(fresh.json["org_active_series"] as? Int == 0)
            #expect(fresh.json["plan_max_active_series"] as? Int == 20_000)
            #expect(fresh.json["org_logs_gb_ingested_this_month"] as? Double == 0)
            #expect(fresh.json["tenants"] as? Int == 2)
            #expect(fresh.json["plan_max_tenants"] as? Int == 10)

            #expect(try await client.verifyKey(parisKey, tenant: paris, uri: "/loki/api/v1/push", contentLength: 300_000_000).status == .ok)
            #expect(try await client.verifyKey(warsawKey, tenant: warsaw, uri: "/otlp/v1/logs", contentLength: 200_000_000).status == .ok)
            // Metrics are no log bytes.
            #expect(try await client.verifyKey(warsawKey, tenant: warsaw, contentLength: 999_999_999).status == .ok)
            try await server.flushUsage()
            let summary = try await client.portal(.get, "/dashboard/org/summary", jwt)
            let gigabytes = try #require(summary.json["org_logs_gb_ingested_this_month"] as? Double)
            #expect(abs(gigabytes - 0.5) < 1e-9, "\(summary.text)")
            let extended = try await client.portal(.get, "/dashboard/org/summary", jwt, headers: Self.prefer)
            #expect(extended.json["logs_bytes_pushed_this_month"] as? Int == 500_000_000)
        }
        let unlimited = PortalAccess.open(Organization(displayName: "Big", plan: .enterprise))
        try await TestServer(portalAccess: unlimited).run { client in
            let jwt = try await client.portalLogin()
            let summary = try await client.portal(.get, "/dashboard/org/summary", jwt)
            #expect(summary.json["billing_plan"] as? String == "enterprise")
            #expect(summary.json["plan_max_tenants"] is NSNull)
            #expect(summary.json["plan_max_active_series"] is NSNull)
            let tenant = try await client.createTenant(jwt)
            #expect(PortalTenantTests.matches(tenant["id"], "xs_big_[a-z2-7]{8}"))
        }
    }

    @Test func theApiPortalSpellingsAnswerAsThePublishedPathsDo() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let created = try await client.portal(.post, "/api/portal/tenants", jwt, body: #"{"display_name":"aliased"}"#)
            #expect(created.status == .created)
            #expect(created.keyOrders == [Self.tenantFields])
            let id = try #require(created.json["id"] as? String)
            try await client.createTenant(jwt, displayName: "published", region: "nl-ams")

            let published = try await client.portal(.get, "/tenants", jwt)
            let aliased = try await client.portal(.get, "/api/portal/tenants", jwt)
            #expect(aliased.status == .ok)
            #expect(aliased.text == published.text)
            #expect(aliased.array.count == 2)
            #expect(try await client.portal(.get, "/api/portal/tenants/\(id)", jwt).text == created.text)
            let summary = try await client.portal(.get, "/api/portal/dashboard/org/summary", jwt)
            #expect(summary.json["tenants"] as? Int == 2)
            #expect(try await client.call(.get, "/api/portal/tenants").status == .unauthorized)
        }
    }

    @Test func orgMeHasTheOrganisationsName() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let me = try await client.portal(.get, "/api/portal/org/me", jwt)
            #expect(me.status == .ok)
            #expect(me.keyOrders == [["id", "slug", "display_name", "name"]])
            #expect(me.json["name"] as? String == "Default")
            #expect(me.json["display_name"] as? String == "Default")
            #expect(me.json["slug"] as? String == "default")
            #expect(me.json["id"] as? String == Self.defaultOrganization)
            let org = try await client.portal(.get, "/org", jwt)
            #expect(org.status == .ok)
            #expect(org.keyOrders == [["id", "slug", "display_name"]])
            #expect(org.json["id"] as? String == Self.defaultOrganization)
        }
    }

    @Test func preferTokendExtensionsAddsTheTenantsProject() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            let created = try await client.createTenant(jwt, headers: Self.prefer)
            let id = try #require(created["id"] as? String)
            let project = try #require(created["project_id"] as? String)
            #expect(ProjectID(project)?.rawValue == project)

            let plain = try await client.portal(.get, "/tenants/\(id)", jwt)
            #expect(plain.json["project_id"] == nil)
            #expect(plain.keyOrders == [Self.tenantFields])
            let extended = try await client.portal(.get, "/tenants/\(id)", jwt, headers: Self.prefer)
            #expect(extended.json["project_id"] as? String == project)
            #expect(Array(extended.keyOrders.first?.prefix(Self.tenantFields.count) ?? []) == Self.tenantFields)
            #expect(try await client.portal(.get, "/tenants", jwt, headers: Self.prefer).array.first?["project_id"] as? String == project)
            // Each tenant has its own project.
            let other = try await client.createTenant(jwt, headers: Self.prefer)
            #expect(other["project_id"] as? String != project)
        }
    }
}
