import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing
import TokendCore

@testable import TokendHTTP

/// `/_tokend/snapshots`: save every region's state, bring it back, download it as a file
/// and upload it again; through a gateway too, where each region's state travels over
/// `/_tokend/state`.
@Suite struct FakeCloudSnapshotTests {
    static let snapshots = "/_tokend/snapshots"
    static let json: HTTPFields = [.contentType: "application/json"]

    static func verifyHeaders(_ secret: String, project: String = projectA) -> HTTPFields {
        [.authorization: "Bearer \(secret)", .scopeOrgID: project, .tokendOperation: "metrics.push"]
    }

    /// What a fixture holds: two tokens in fr-par, one in nl-ams, a tenant with a key.
    struct Fixture {
        let jwt: String
        let kept: (id: String, secret: String)
        let deleted: (id: String, secret: String)
        let rotated: (id: String, secret: String)
        let tenant: String
        let key: String
    }

    /// Everything the fixture's state shows, as the API answers it.
    struct Views: Equatable {
        let paris: String
        let amsterdam: String
        let warsaw: String
        let token: String
        let tenants: String
        let tenant: String
        let keys: String
    }

    func makeFixture(_ client: any TestClientProtocol) async throws -> Fixture {
        func pair(_ token: [String: Any]) throws -> (id: String, secret: String) {
            (try #require(token["id"] as? String), try #require(token["secret_key"] as? String))
        }
        let kept = try pair(try await client.createToken(region: "fr-par", name: "kept"))
        let deleted = try pair(try await client.createToken(region: "fr-par", project: projectB, name: "deleted"))
        let rotated = try pair(try await client.createToken(region: "nl-ams", name: "rotated"))
        let jwt = try await client.portalLogin()
        let tenant = try #require(try await client.createTenant(jwt, displayName: "Payments", region: "pl-waw")["id"] as? String)
        let key = try #require(try await client.createKey(jwt, tenant: tenant)["key"] as? String)
        return Fixture(jwt: jwt, kept: kept, deleted: deleted, rotated: rotated, tenant: tenant, key: key)
    }

    func views(_ client: any TestClientProtocol, _ fixture: Fixture) async throws -> Views {
        func text(_ answer: Answer) throws -> String {
            guard answer.status == .ok else { throw TestFailure("answered \(answer.status): \(answer.text)") }
            return answer.text
        }
        return Views(
            paris: try text(try await client.call(.get, tokensPath("fr-par"), headers: anyKeyWithExtensions)),
            amsterdam: try text(try await client.call(.get, tokensPath("nl-ams"), headers: anyKeyWithExtensions)),
            warsaw: try text(try await client.call(.get, tokensPath("pl-waw"), headers: anyKeyWithExtensions)),
            token: try await client.call(.get, tokensPath("fr-par") + "/\(fixture.deleted.id)", headers: anyKeyWithExtensions).text,
            tenants: try text(try await client.portal(.get, "/tenants", fixture.jwt)),
            tenant: try text(try await client.portal(.get, "/tenants/\(fixture.tenant)", fixture.jwt)),
            keys: try text(try await client.portal(.get, "/tenants/\(fixture.tenant)/keys", fixture.jwt)))
    }

    /// Changes every part of the fixture; returns the secret of a token created after it.
    func change(_ client: any TestClientProtocol, _ fixture: Fixture) async throws -> String {
        let later = try #require(try await client.createToken(region: "fr-par", name: "later")["secret_key"] as? String)
        #expect(try await client.call(.delete, tokensPath("fr-par") + "/\(fixture.deleted.id)").status == .noContent)
        #expect(try await client.call(.post, tokensPath("nl-ams") + "/\(fixture.rotated.id)/rotate").status == .ok)
        #expect(try await client.portal(.post, "/tenants/\(fixture.tenant)/suspend", fixture.jwt).status == .ok)
        try await client.createTenant(fixture.jwt, displayName: "Later", region: "fr-par")
        try await client.createToken(region: "pl-waw")
        return later
    }

    func verify(_ client: any TestClientProtocol, _ secret: String, project: String = projectA) async throws -> HTTPResponse.Status {
        try await client.call(.get, "/_tokend/verify", headers: Self.verifyHeaders(secret, project: project)).status
    }

    func save(_ client: any TestClientProtocol, _ body: String) async throws -> Answer {
        try await client.call(.post, Self.snapshots, headers: Self.json, body: body)
    }

    @Test func aRestoreBringsBackEveryRegionAsSaved() async throws {
        try await TestServer().run { client in
            let fixture = try await makeFixture(client)
            let before = try await views(client, fixture)
            let saved = try await save(client, #"{"name":"s1"}"#)
            #expect(saved.status == .created, "\(saved.text)")
            #expect(saved.json["name"] as? String == "s1")
            #expect(saved.json["regions"] as? [String] == ["fr-par", "nl-ams", "pl-waw"])
            #expect((saved.json["bytes"] as? Int ?? 0) > 0)
            #expect((saved.json["created_at"] as? String).flatMap(Timestamp.init(rfc3339:)) != nil)

            let later = try await change(client, fixture)
            #expect(try await views(client, fixture) != before)
            // Verify remembers what it saw, so that a restore must make it forget.
            #expect(try await verify(client, fixture.deleted.secret, project: projectB) == .unauthorized)
            #expect(try await verify(client, later) == .ok)
            #expect(try await verify(client, fixture.rotated.secret) == .unauthorized)

            let restored = try await client.call(.post, Self.snapshots + "/s1/restore", headers: Self.json, body: "{}")
            #expect(restored.status == .ok, "\(restored.text)")
            #expect(restored.json["name"] as? String == "s1")
            #expect(restored.json["restored"] as? [String] == ["fr-par", "nl-ams", "pl-waw"])
            let after = try await views(client, fixture)
            #expect(after.paris == before.paris)
            #expect(after.amsterdam == before.amsterdam)
            #expect(after.warsaw == before.warsaw)
            #expect(after.token == before.token)
            #expect(after.tenants == before.tenants)
            #expect(after.tenant == before.tenant)
            #expect(after.keys == before.keys)

            // What verify remembered is forgotten: the deleted token is back, the later one gone.
            #expect(try await verify(client, fixture.deleted.secret, project: projectB) == .ok)
            #expect(try await verify(client, fixture.kept.secret) == .ok)
            #expect(try await verify(client, fixture.rotated.secret) == .ok)
            #expect(try await verify(client, later) == .unauthorized)
            #expect(try await client.verifyKey(fixture.key, tenant: fixture.tenant).status == .ok)
            #expect(try await client.portal(.get, "/tenants/\(fixture.tenant)", fixture.jwt).json["status"] as? String == "active")

            // Restoring needs no body, and a snapshot can be restored twice.
            try await client.createToken(region: "nl-ams")
            #expect(try await client.call(.post, Self.snapshots + "/s1/restore", headers: [:]).status == .ok)
            #expect(try await client.call(.get, tokensPath("nl-ams"), headers: anyKeyWithExtensions).text == before.amsterdam)
        }
    }

    @Test func aDownloadedSnapshotUploadsAndRestoresAfterAReset() async throws {
        try await TestServer().run { client in
            let fixture = try await makeFixture(client)
            let before = try await views(client, fixture)
            let saved = try await save(client, #"{"name":"s1"}"#)
            #expect(saved.status == .created)

            let file = try await client.call(.get, Self.snapshots + "/s1", headers: [:])
            #expect(file.status == .ok)
            #expect(file.headers[.contentDisposition] == #"attachment; filename="s1.tokend-snapshot.json""#)
            #expect(file.json["format"] as? String == "tokend-snapshot/1")
            #expect(file.json["name"] as? String == "s1")
            let images = try #require(file.json["regions"] as? [String: String])
            #expect(images.keys.sorted() == ["fr-par", "nl-ams", "pl-waw"])
            #expect(images.values.allSatisfy { Data(base64Encoded: $0)?.starts(with: Array("SQLite format 3".utf8)) == true })

            let uploaded = try await client.call(.put, Self.snapshots + "/s2", headers: Self.json, body: file.text)
            #expect(uploaded.status == .created, "\(uploaded.text)")
            #expect(uploaded.json["name"] as? String == "s2")
            #expect(uploaded.json["regions"] as? [String] == ["fr-par", "nl-ams", "pl-waw"])
            #expect(uploaded.json["bytes"] as? Int == saved.json["bytes"] as? Int)

            let listed = try await client.call(.get, Self.snapshots, headers: [:])
            #expect(listed.status == .ok)
            let names = (listed.json["snapshots"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["s1", "s2"])

            let reset = try await client.call(.post, "/_tokend/reset", headers: [:])
            #expect(reset.status == .ok)
            #expect(try await client.count(region: "fr-par") == 0)
            #expect(try await verify(client, fixture.kept.secret) == .unauthorized)

            let restored = try await client.call(.post, Self.snapshots + "/s2/restore", headers: Self.json, body: "{}")
            #expect(restored.status == .ok, "\(restored.text)")
            #expect(try await views(client, fixture) == before)
            #expect(try await verify(client, fixture.kept.secret) == .ok)
            #expect(try await client.verifyKey(fixture.key, tenant: fixture.tenant).status == .ok)

            // The same file downloads back from the upload, but for its name.
            let again = try await client.call(.get, Self.snapshots + "/s2", headers: [:])
            #expect(again.json["regions"] as? [String: String] == images)
            #expect(again.json["name"] as? String == "s2")

            #expect(try await client.call(.delete, Self.snapshots + "/s1", headers: [:]).status == .noContent)
            #expect(try await client.call(.get, Self.snapshots + "/s1", headers: [:]).status == .notFound)
        }
    }

    @Test func aRestoreOfOneRegionLeavesTheOthersAlone() async throws {
        try await TestServer().run { client in
            let fixture = try await makeFixture(client)
            let before = try await views(client, fixture)
            #expect(try await save(client, #"{"name":"s1"}"#).status == .created)
            let later = try await change(client, fixture)
            let changed = try await views(client, fixture)

            let restored = try await client.call(.post, Self.snapshots + "/s1/restore", headers: Self.json, body: #"{"region":"fr-par"}"#)
            #expect(restored.status == .ok, "\(restored.text)")
            #expect(restored.json["restored"] as? [String] == ["fr-par"])
            let after = try await views(client, fixture)
            #expect(after.paris == before.paris)
            #expect(after.token == before.token)
            #expect(after.amsterdam == changed.amsterdam)
            #expect(after.warsaw == changed.warsaw)
            #expect(try await verify(client, later) == .unauthorized)
            #expect(try await verify(client, fixture.deleted.secret, project: projectB) == .ok)
            #expect(try await verify(client, fixture.rotated.secret) == .unauthorized)
            // The tenant lives in pl-waw: still suspended.
            #expect(after.tenant == changed.tenant)

            let unknown = try await client.call(.post, Self.snapshots + "/s1/restore", headers: Self.json, body: #"{"region":"xx-nope"}"#)
            #expect(unknown.status == .badRequest)
        }
    }

    @Test func aSnapshotOfOneRegionHoldsOnlyThatRegion() async throws {
        try await TestServer().run { client in
            try await client.createToken(region: "nl-ams")
            let saved = try await save(client, #"{"name":"ams-only","region":"nl-ams"}"#)
            #expect(saved.status == .created, "\(saved.text)")
            #expect(saved.json["regions"] as? [String] == ["nl-ams"])
            try await client.createToken(region: "nl-ams")
            try await client.createToken(region: "fr-par")
            let restored = try await client.call(.post, Self.snapshots + "/ams-only/restore", headers: [:])
            #expect(restored.json["restored"] as? [String] == ["nl-ams"])
            #expect(try await client.count(region: "nl-ams") == 1)
            #expect(try await client.count(region: "fr-par") == 1)
        }
    }

    @Test func anUnknownSnapshotIsNotFound() async throws {
        try await TestServer().run { client in
            for (method, path) in [
                (HTTPRequest.Method.post, Self.snapshots + "/nope/restore"), (.get, Self.snapshots + "/nope"),
                (.delete, Self.snapshots + "/nope"),
            ] {
                let answer = try await client.call(method, path, headers: Self.json, body: method == .post ? "{}" : nil)
                #expect(answer.status == .notFound, "\(method) \(path): \(answer.text)")
                #expect(answer.json["type"] as? String == "not_found")
            }
        }
    }

    @Test(arguments: [".x", String(repeating: "a", count: 65), "a/b", "", "é", "a b"])
    func aBadNameIsRefused(name: String) async throws {
        try await TestServer().run { client in
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["name": name]), as: UTF8.self)
            let answer = try await save(client, body)
            #expect(answer.status == .badRequest, "\(name): \(answer.text)")
            #expect(answer.argumentNames == ["name"], "\(answer.text)")
            let listed = try await client.call(.get, Self.snapshots, headers: [:])
            #expect((listed.json["snapshots"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aNameOf64IsFine() async throws {
        try await TestServer().run { client in
            let name = "a" + String(repeating: "-._9", count: 15) + "Zzz"
            #expect(name.count == 64)
            let answer = try await save(client, #"{"name":"\#(name)"}"#)
            #expect(answer.status == .created, "\(answer.text)")
            #expect(try await client.call(.get, Self.snapshots + "/\(name)", headers: [:]).status == .ok)
            let dotted = try await client.call(.put, Self.snapshots + "/.hidden", headers: Self.json, body: "{}")
            #expect(dotted.status == .badRequest)
            #expect(dotted.argumentNames == ["name"])
        }
    }

    static let sqliteHeader = Data("SQLite format 3\u{0}".utf8)

    @Test(arguments: [
        ("not json", "body"), (#"{"format":"tokend-snapshot/2","regions":{}}"#, "body"),
        (#"{"format":"tokend-snapshot/1","regions":{"fr-par":"!!! not base64 !!!"}}"#, "regions"),
        (#"{"format":"tokend-snapshot/1","regions":{"fr-par":"\#(Data("hello, world".utf8).base64EncodedString())"}}"#, "regions"),
        (#"{"format":"tokend-snapshot/1","regions":{"xx-nope":"\#(sqliteHeader.base64EncodedString())"}}"#, "regions"),
        (#"{"format":"tokend-snapshot/1","regions":{"Paris":"\#(sqliteHeader.base64EncodedString())"}}"#, "regions"),
    ])
    func aCorruptUploadIsRefusedAndNothingStored(body: String, argument: String) async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.put, Self.snapshots + "/s3", headers: Self.json, body: body)
            #expect(answer.status == .badRequest, "\(answer.text)")
            #expect(answer.json["type"] as? String == "invalid_arguments")
            #expect(answer.argumentNames == [argument], "\(answer.text)")
            #expect(try await client.call(.get, Self.snapshots + "/s3", headers: [:]).status == .notFound)
            let listed = try await client.call(.get, Self.snapshots, headers: [:])
            #expect((listed.json["snapshots"] as? [Any])?.isEmpty == true)
        }
    }

    /// An SQLite database that is no tokend store, as a file's bytes.
    static func foreignDatabase(_ schema: String) throws -> Data {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("foreign-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: url) }
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in try db.execute(sql: schema) }
        try queue.close()
        return try Data(contentsOf: url)
    }

    static func foreignImage(_ kind: String) throws -> Data {
        switch kind {
        case "a table named like tokend's":
            try foreignDatabase("CREATE TABLE token (x INTEGER); INSERT INTO token VALUES (1);")
        case "another application's tables":
            try foreignDatabase("CREATE TABLE invoice (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoice VALUES (1, 2.5);")
        case "an empty database":
            try foreignDatabase("CREATE TABLE scratch (x); DROP TABLE scratch;")
        default:
            sqliteHeader + Data(repeating: 0xAB, count: 200)
        }
    }

    @Test(arguments: ["a table named like tokend's", "another application's tables", "an empty database", "a cut-off image"])
    func anImageThatIsNoTokendStoreIsRefusedAndTheRegionUnchanged(kind: String) async throws {
        let image = try Self.foreignImage(kind)
        try await TestServer().run { client in
            let token = try await client.createToken(region: "fr-par")
            let secret = try #require(token["secret_key"] as? String)
            let before = try await client.call(.get, tokensPath("fr-par"), headers: anyKeyWithExtensions).text
            let file = #"{"format":"tokend-snapshot/1","regions":{"fr-par":"\#(image.base64EncodedString())"}}"#
            let uploaded = try await client.call(.put, Self.snapshots + "/foreign", headers: Self.json, body: file)
            #expect(uploaded.status == .created, "\(uploaded.text)")
            let restored = try await client.call(.post, Self.snapshots + "/foreign/restore", headers: Self.json, body: "{}")
            #expect(restored.status == .badRequest, "\(restored.status) \(restored.text)")
            #expect(restored.json["type"] as? String == "invalid_arguments")
            #expect(restored.argumentNames == ["image"], "\(restored.text)")
            let after = try await client.call(.get, tokensPath("fr-par"), headers: anyKeyWithExtensions)
            #expect(after.status == .ok)
            #expect(after.text == before)
            #expect(try await verify(client, secret) == .ok)
            // The region still works as a store.
            try await client.createToken(region: "fr-par")
            #expect(try await client.count(region: "fr-par") == 2)
        }
    }
}
