import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

/// Who may call the portal: JWTs (missing, malformed, forged, expired), the keys file's
/// users and their roles, and organisations that never see each other's tenants.
@Suite struct PortalAuthTests {
    static let acme = Organization(displayName: "Acme Corp", plan: .scale)
    static let beta = Organization(displayName: "Beta Labs", plan: .scale)
    static let password = try! PasswordHash.make("pw", rounds: 1024)
    static let acmeUsers = [
        ("owner@acme.test", PortalRole.owner), ("admin@acme.test", .admin), ("member@acme.test", .member),
        ("viewer@acme.test", .viewer),
    ]
    static let users = PortalAccess.users(
        acmeUsers.map { PortalUser(email: $0.0, role: $0.1, organization: acme, password: password) } + [
            PortalUser(email: "owner@beta.test", role: .owner, organization: beta, password: password),
            PortalUser(email: "viewer@beta.test", role: .viewer, organization: beta, password: password),
        ])

    static let unauthorizedMessage = "sign in again: the bearer token is missing, malformed, expired or not ours"

    static func expectUnauthorized(_ answer: Answer, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == .unauthorized, "\(label): \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.json["error"] as? String == "unauthorized", "\(label)", sourceLocation: sourceLocation)
        #expect(answer.json["message"] as? String == unauthorizedMessage, "\(label)", sourceLocation: sourceLocation)
        #expect(answer.keyOrders == [["error", "message"]], "\(label)", sourceLocation: sourceLocation)
    }

    static func expectForbidden(_ answer: Answer, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == .forbidden, "\(label): \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.json["error"] as? String == "forbidden", "\(label)", sourceLocation: sourceLocation)
    }

    static func expectNotFound(_ answer: Answer, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == .notFound, "\(label): \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.json["error"] as? String == "not_found", "\(label)", sourceLocation: sourceLocation)
    }

    // MARK: Tokens

    @Test func aMissingMalformedOrForgedTokenIs401() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            #expect(try await client.portal(.get, "/tenants", jwt).status == .ok)

            let forger = PortalSessions(keyBytes: Array(repeating: 1, count: 32))
            let forged = try await forger.issue(
                for: PortalUser(
                    email: "alice@example.com", role: .owner, organization: Organization(displayName: "Default", plan: .scale),
                    password: nil))
            let parts = jwt.split(separator: ".").map(String.init)
            // The same claims with the signature of other claims, and with no signature at all.
            let spliced = [parts[0], parts[1], forged.split(separator: ".").map(String.init)[2]].joined(separator: ".")
            let unsigned = #"{"alg":"none","typ":"JWT"}"#.data(using: .utf8)!.base64EncodedString()
                .replacing("=", with: "").replacing("+", with: "-").replacing("/", with: "_")
            let cases: [(HTTPFields, String)] = [
                ([:], "no Authorization"),
                ([.authorization: "Bearer "], "empty bearer"),
                ([.authorization: "Bearer not-a-jwt"], "malformed"),
                ([.authorization: "Bearer a.b.c"], "three garbage parts"),
                ([.authorization: "Basic \(jwt)"], "not Bearer"),
                ([.authorization: "bearer \(jwt)"], "lower-case scheme"),
                ([.authorization: "Bearer \(forged)"], "signed with another key"),
                ([.authorization: "Bearer \(spliced)"], "another token's signature"),
                ([.authorization: "Bearer \(unsigned).\(parts[1])."], "alg none"),
                ([.authorization: "Bearer \(jwt)x"], "one character more"),
                ([.cookie: "session=garbage"], "garbage cookie"),
            ]
            for (headers, label) in cases {
                Self.expectUnauthorized(try await client.call(.get, "/tenants", headers: headers), label)
            }
            for (method, path) in [
                (HTTPRequest.Method.post, "/tenants"), (.get, "/org"), (.get, "/org/members"), (.get, "/activity"),
                (.get, "/dashboard/org/summary"), (.get, "/tenants/xs_default_abcdefgh"), (.get, "/api/portal/org/me"),
            ] {
                Self.expectUnauthorized(
                    try await client.call(method, path, headers: [.authorization: "Bearer \(forged)"], body: "{}"), "\(method) \(path)")
            }
            // The browser's session cookie is accepted like the header.
            #expect(try await client.call(.get, "/tenants", headers: [.cookie: "theme=dark; session=\(jwt)"]).status == .ok)
            // Nothing was created by any refused call.
            #expect(try await client.portal(.get, "/tenants", jwt).array.isEmpty)
        }
    }

    @Test func aTokenExpiresThirtyMinutesAfterSignIn() async throws {
        try await TestServer(adjustableClocks: true).run { client in
            let jwt = try await client.portalLogin()
            let clock: HTTPFields = [.contentType: "application/json"]
            #expect(try await client.portal(.get, "/tenants", jwt).status == .ok)
            #expect(try await client.call(.put, "/_tokend/clock", headers: clock, body: #"{"advance_seconds": 1790}"#).status == .ok)
            #expect(try await client.portal(.get, "/tenants", jwt).status == .ok)
            #expect(try await client.call(.put, "/_tokend/clock", headers: clock, body: #"{"advance_seconds": 11}"#).status == .ok)
            Self.expectUnauthorized(try await client.portal(.get, "/tenants", jwt), "after 1801 s")
            Self.expectUnauthorized(try await client.portal(.post, "/tenants", jwt, body: "{}"), "create after 1801 s")
            // Signing in again works at the new time.
            let again = try await client.portalLogin()
            #expect(try await client.portal(.get, "/tenants", again).status == .ok)
            #expect(try await client.portal(.get, "/tenants", again).array.isEmpty)
        }
    }

    @Test func anExpiredTokenIs401OnAManualClockToo() async throws {
        let clock = ManualClock()
        try await TestServer(clock: clock).run { client in
            let jwt = try await client.portalLogin()
            #expect(try await client.portal(.get, "/tenants", jwt).status == .ok)
            clock.advance(seconds: 1801)
            Self.expectUnauthorized(try await client.portal(.get, "/tenants", jwt), "after 1801 s")
        }
    }

    @Test func aGenuineTokenOfAnOrganisationNoLongerConfiguredIs401() async throws {
        let server = try await TestServer(portalAccess: Self.users)
        try await server.run { client in
            let gone = Organization(displayName: "Gone Ltd", plan: .scale)
            let token = try await server.sessions.issue(
                for: PortalUser(email: "owner@gone.test", role: .owner, organization: gone, password: nil))
            Self.expectUnauthorized(try await client.portal(.get, "/tenants", token), "unconfigured organisation")
            // The same key signs a configured organisation's token that is accepted.
            let known = try await server.sessions.issue(
                for: PortalUser(email: "viewer@acme.test", role: .viewer, organization: Self.acme, password: nil))
            #expect(try await client.portal(.get, "/tenants", known).status == .ok)
            Self.expectForbidden(try await client.portal(.post, "/tenants", known, body: "{}"), "viewer by signed token")
        }
    }

    // MARK: Users and roles

    @Test func onlyConfiguredUsersSignInWithTheirPasswords() async throws {
        try await TestServer(portalAccess: Self.users).run { client in
            let jwt = try await client.portalLogin(email: "member@acme.test", password: "pw")
            let claims = try PortalTenantTests.claims(of: jwt)
            #expect(claims["role"] as? String == "member")
            #expect(claims["org_id"] as? String == Self.acme.id.rawValue)
            #expect(claims["sub"] as? String == Self.acme.id.rawValue)
            #expect(claims["email"] as? String == "member@acme.test")
            // Emails are matched regardless of case.
            #expect(try await client.portalLogin(email: "OWNER@acme.test", password: "pw").isEmpty == false)

            for (email, password) in [("member@acme.test", "PW"), ("member@acme.test", "pw "), ("nobody@acme.test", "pw")] {
                let refused = try await client.call(
                    .post, "/auth/login", headers: [.contentType: "application/json"],
                    body: #"{"email":"\#(email)","password":"\#(password)"}"#)
                #expect(refused.status == .unauthorized, "\(email) / \(password)")
                #expect(refused.json["error"] as? String == "unauthorized")
                #expect(refused.json["token"] == nil)
            }
            let signup = try await client.call(
                .post, "/auth/signup", headers: [.contentType: "application/json"],
                body: #"{"email":"new@acme.test","password":"pw","name":"New"}"#)
            Self.expectForbidden(signup, "signup in keys mode")
            let exchange = try await client.call(
                .post, "/auth/cognito/exchange", headers: [.contentType: "application/json"], body: #"{"cognito_token":"x"}"#)
            #expect(exchange.status == .notImplemented)
        }
    }

    @Test func openModeSignUpSignsInAndAnswersTheUserAndOrganisation() async throws {
        try await TestServer().run { client in
            let signup = try await client.call(
                .post, "/auth/signup", headers: [.contentType: "application/json"],
                body: #"{"org_name":"Ignored","email":"new@example.com","password":"pw"}"#)
            #expect(signup.status == .created)
            #expect(signup.keyOrders == [["token", "user", "org"], ["email", "role"], ["name", "public_id"]])
            let jwt = try #require(signup.json["token"] as? String)
            #expect((signup.json["org"] as? [String: Any])?["public_id"] as? String == PortalTenantTests.defaultOrganization)
            #expect(try await client.portal(.get, "/tenants", jwt).status == .ok)
        }
    }

    @Test func viewersReadMembersManageAndOnlyOwnersAndAdminsDelete() async throws {
        try await TestServer(portalAccess: Self.users).run { client in
            let viewer = try await client.portalLogin(email: "viewer@acme.test", password: "pw")
            let member = try await client.portalLogin(email: "member@acme.test", password: "pw")
            let admin = try await client.portalLogin(email: "admin@acme.test", password: "pw")
            let owner = try await client.portalLogin(email: "owner@acme.test", password: "pw")

            Self.expectForbidden(try await client.portal(.post, "/tenants", viewer, body: "{}"), "viewer create")
            #expect(try await client.portal(.get, "/tenants", viewer).array.isEmpty)

            let tenant = try await client.createTenant(member, displayName: "made-by-member")
            let id = try #require(tenant["id"] as? String)
            #expect(PortalTenantTests.matches(id, "xs_acmecorp_[a-z2-7]{8}"), "\(id)")
            let key = try await client.createKey(member, tenant: id)
            let keyID = try #require(key["id"] as? String)
            #expect(try await client.portal(.patch, "/tenants/\(id)", member, body: #"{"environment":"prod"}"#).status == .ok)
            #expect(try await client.portal(.post, "/tenants/\(id)/suspend", member).status == .ok)
            #expect(try await client.portal(.post, "/tenants/\(id)/resume", member).status == .ok)
            #expect(try await client.portal(.post, "/tenants/\(id)/keys/\(keyID)/rotate", member).status == .ok)

            // The viewer reads everything and changes nothing.
            #expect(try await client.portal(.get, "/tenants", viewer).array.map { $0["id"] as? String } == [id])
            #expect(try await client.portal(.get, "/tenants/\(id)", viewer).status == .ok)
            #expect(try await client.portal(.get, "/tenants/\(id)/keys", viewer).array.count == 1)
            #expect(try await client.portal(.get, "/tenants/\(id)/keys/\(keyID)", viewer).status == .ok)
            #expect(try await client.portal(.get, "/dashboard/tenants/\(id)/usage", viewer).status == .ok)
            #expect(try await client.portal(.get, "/activity", viewer).status == .ok)
            let viewerWrites: [(HTTPRequest.Method, String, String?)] = [
                (.patch, "/tenants/\(id)", #"{"display_name":"by-viewer"}"#),
                (.post, "/tenants/\(id)/suspend", nil),
                (.post, "/tenants/\(id)/keys", "{}"),
                (.post, "/tenants/\(id)/keys/\(keyID)/rotate", nil),
                (.delete, "/tenants/\(id)/keys/\(keyID)", nil),
                (.delete, "/tenants/\(id)", nil),
            ]
            for (method, path, body) in viewerWrites {
                Self.expectForbidden(try await client.portal(method, path, viewer, body: body), "viewer \(method) \(path)")
            }
            Self.expectForbidden(try await client.portal(.delete, "/tenants/\(id)", member), "member delete")

            // Nothing the refusals touched changed.
            let after = try await client.portal(.get, "/tenants/\(id)", owner)
            #expect(after.json["display_name"] as? String == "made-by-member")
            #expect(after.json["environment"] as? String == "prod")
            #expect(after.json["status"] as? String == "active")
            #expect(try await client.portal(.get, "/tenants/\(id)/keys", owner).array.map { $0["id"] as? String } == [keyID])

            #expect(try await client.portal(.delete, "/tenants/\(id)/keys/\(keyID)", member).status == .noContent)
            #expect(try await client.portal(.delete, "/tenants/\(id)", admin).status == .noContent)
            let second = try #require(try await client.createTenant(owner)["id"] as? String)
            #expect(try await client.portal(.delete, "/tenants/\(second)", owner).status == .noContent)
            #expect(try await client.portal(.get, "/tenants", owner).array.isEmpty)
        }
    }

    @Test func anotherOrganisationsTenantIsNotFoundAndUntouched() async throws {
        try await TestServer(portalAccess: Self.users).run { client in
            let acme = try await client.portalLogin(email: "owner@acme.test", password: "pw")
            let beta = try await client.portalLogin(email: "owner@beta.test", password: "pw")
            let tenant = try await client.createTenant(acme, displayName: "acme-prod", environment: "prod", region: "nl-ams")
            let id = try #require(tenant["id"] as? String)
            let key = try await client.createKey(acme, tenant: id)
            let keyID = try #require(key["id"] as? String)
            let secret = try #require(key["key"] as? String)
            let betaTenant = try #require(try await client.createTenant(beta, displayName: "beta-prod")["id"] as? String)
            #expect(PortalTenantTests.matches(betaTenant, "xs_betalabs_[a-z2-7]{8}"), "\(betaTenant)")
            let acmeBefore = try await client.portal(.get, "/tenants/\(id)", acme).text
            let activityBefore = try await client.portal(.get, "/activity", acme).text

            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/tenants/\(id)", nil),
                (.patch, "/tenants/\(id)", #"{"display_name":"stolen"}"#),
                (.post, "/tenants/\(id)/suspend", nil),
                (.post, "/tenants/\(id)/resume", nil),
                (.delete, "/tenants/\(id)", nil),
                (.get, "/tenants/\(id)/keys", nil),
                (.post, "/tenants/\(id)/keys", "{}"),
                (.get, "/tenants/\(id)/keys/\(keyID)", nil),
                (.post, "/tenants/\(id)/keys/\(keyID)/rotate", nil),
                (.delete, "/tenants/\(id)/keys/\(keyID)", nil),
                (.get, "/dashboard/tenants/\(id)/usage", nil),
                (.get, "/api/portal/tenants/\(id)/dashboard/summary", nil),
            ]
            for (method, path, body) in attempts {
                Self.expectNotFound(try await client.portal(method, path, beta, body: body), "beta \(method) \(path)")
            }
            // Beta's own tenant does not reach Acme's key either.
            Self.expectNotFound(
                try await client.portal(.get, "/tenants/\(betaTenant)/keys/\(keyID)", beta), "Acme's key under Beta's tenant")
            Self.expectNotFound(
                try await client.portal(.delete, "/tenants/\(betaTenant)/keys/\(keyID)", beta), "revoke Acme's key under Beta's tenant")

            #expect(try await client.portal(.get, "/tenants", beta).array.map { $0["id"] as? String } == [betaTenant])
            let betaEvents = try await client.portal(.get, "/activity", beta).json["events"] as? [[String: Any]]
            #expect(betaEvents?.map { $0["tenant_id"] as? String } == [betaTenant])
            let filtered = try await client.portal(.get, "/activity?tenant_id=\(id)", beta).json["events"] as? [[String: Any]]
            #expect(filtered?.isEmpty == true)
            #expect(try await client.portal(.get, "/dashboard/org/summary", beta).json["tenants"] as? Int == 1)

            // Acme's tenant, key and trail are as they were.
            #expect(try await client.portal(.get, "/tenants/\(id)", acme).text == acmeBefore)
            #expect(try await client.portal(.get, "/activity", acme).text == activityBefore)
            #expect(try await client.portal(.get, "/tenants/\(id)/keys", acme).array.map { $0["id"] as? String } == [keyID])
            #expect(try await client.verifyKey(secret, tenant: id).status == .ok)
            #expect(try await client.portal(.get, "/tenants", acme).array.map { $0["id"] as? String } == [id])
            #expect(try await client.portal(.get, "/org", beta).json["id"] as? String == Self.beta.id.rawValue)
        }
    }

    // MARK: Members

    @Test func ownersAndAdminsInviteAndMembersAreListed() async throws {
        try await TestServer(portalAccess: Self.users).run { client in
            let owner = try await client.portalLogin(email: "owner@acme.test", password: "pw")
            let admin = try await client.portalLogin(email: "admin@acme.test", password: "pw")
            let member = try await client.portalLogin(email: "member@acme.test", password: "pw")
            let beta = try await client.portalLogin(email: "owner@beta.test", password: "pw")

            let members = try await client.portal(.get, "/org/members", member)
            #expect(members.status == .ok)
            #expect(members.text.hasPrefix("["))
            #expect(members.array.map { $0["email"] as? String } == Self.acmeUsers.map { $0.0 })
            #expect(members.array.map { $0["role"] as? String } == Self.acmeUsers.map { $0.1.rawValue })
            #expect(members.array.allSatisfy { $0["organization_id"] as? String == Self.acme.id.rawValue })
            #expect(members.keyOrders == Array(repeating: ["id", "organization_id", "email", "role"], count: 4))
            #expect(members.array.allSatisfy { PortalTenantTests.matches($0["id"], "usr_[0-9a-f]{24}") })

            let invited = try await client.portal(.post, "/org/members/invite", owner, body: #"{"email":"new@acme.test","role":"member"}"#)
            #expect(invited.status == .created)
            #expect(invited.keyOrders == [["id", "organization_id", "email", "role"]])
            #expect(invited.json["email"] as? String == "new@acme.test")
            #expect(invited.json["role"] as? String == "member")
            #expect(invited.json["organization_id"] as? String == Self.acme.id.rawValue)
            let byAdmin = try await client.portal(.post, "/org/members/invite", admin, body: #"{"email":"ops@acme.test","role":"viewer"}"#)
            #expect(byAdmin.status == .created)

            Self.expectForbidden(
                try await client.portal(.post, "/org/members/invite", member, body: #"{"email":"x@acme.test","role":"viewer"}"#),
                "member invites")
            let duplicate = try await client.portal(
                .post, "/org/members/invite", owner, body: #"{"email":"Admin@acme.test","role":"viewer"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.json["error"] as? String == "conflict")
            for body in [
                #"{"email":"y@acme.test","role":"emperor"}"#, #"{"email":"not-an-email","role":"viewer"}"#, #"{"role":"viewer"}"#,
                #"{"email":"z@acme.test","role":"viewer","team":"x"}"#,
            ] {
                let refused = try await client.portal(.post, "/org/members/invite", owner, body: body)
                #expect(refused.status == .badRequest, "\(body): \(refused.text)")
                #expect(refused.json["error"] as? String == "invalid_request")
            }

            let listed = try await client.portal(.get, "/org/members", owner).array
            #expect(listed.map { $0["email"] as? String } == Self.acmeUsers.map { $0.0 } + ["new@acme.test", "ops@acme.test"])
            #expect(listed.map { $0["role"] as? String }.suffix(2) == ["member", "viewer"])
            let betaMembers = try await client.portal(.get, "/org/members", beta).array
            #expect(betaMembers.map { $0["email"] as? String } == ["owner@beta.test", "viewer@beta.test"])
        }
    }
}
