import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

@Suite struct ManagementAuthTests {
    static let keyA = "key-for-project-a-0001"
    static let keyB = "key-for-project-b-0002"
    static let admin = "key-for-every-project-3"
    static var keyring: ManagementAccess {
        .keys(
            Keyring(entries: [
                (keyA, .only([ProjectID(projectA)!])),
                (keyB, .only([ProjectID(projectB)!])),
                (admin, .all),
            ]))
    }

    static func headers(_ key: String) -> HTTPFields { [.authToken: key] }

    @Test func everyEndpointRefusesACallWithoutAKey() async throws {
        for access in [ManagementAccess.open, Self.keyring] {
            try await TestServer(access: access).run { client in
                let id = "11111111-2222-4333-8444-555555555555"
                let calls: [(HTTPRequest.Method, String)] = [
                    (.get, tokensPath()), (.post, tokensPath()), (.get, tokensPath() + "/" + id), (.delete, tokensPath() + "/" + id),
                ]
                for (method, path) in calls {
                    for headers in [HTTPFields(), [.authToken: ""]] {
                        let answer = try await client.call(method, path, headers: headers, body: "{}")
                        #expect(answer.status == .unauthorized, "\(method) \(path)")
                        #expect(
                            answer.text
                                == #"{"message":"authentication is denied","method":"unknown_method","reason":"invalid_argument","type":"denied_authentication"}"#
                        )
                    }
                }
            }
        }
    }

    @Test func anUnknownKeyIs401InKeysMode() async throws {
        try await TestServer(access: Self.keyring).run { client in
            let answer = try await client.call(.get, tokensPath(), headers: Self.headers("who-is-this-key-0000"))
            #expect(answer.status == .unauthorized)
            #expect(answer.json["method"] as? String == "api_key")
            #expect(answer.json["reason"] as? String == "not_found")
        }
    }

    @Test func aKeyCannotCreateInAnotherProject() async throws {
        try await TestServer(access: Self.keyring).run { client in
            let answer = try await client.call(
                .post, tokensPath(), headers: Self.headers(Self.keyA),
                body: #"{"project_id":"\#(projectB)","token_scopes":["read_only_logs"]}"#)
            #expect(answer.status == .forbidden)
            #expect(answer.json["type"] as? String == "permissions_denied")
            #expect(answer.json["message"] as? String == "insufficient permissions")
            #expect((answer.json["details"] as? [[String: String]])?.first?["action"] == "write")
            #expect(try await client.count(headers: Self.headers(Self.admin)) == 0)
        }
    }

    @Test func aKeySeesOnlyItsProjects() async throws {
        try await TestServer(access: Self.keyring).run { client in
            let tokenA = try #require(try await client.createToken(project: projectA, headers: Self.headers(Self.keyA))["id"] as? String)
            let tokenB = try #require(try await client.createToken(project: projectB, headers: Self.headers(Self.keyB))["id"] as? String)

            let listA = try await client.call(.get, tokensPath(), headers: Self.headers(Self.keyA))
            #expect(listA.tokens.map { $0["id"] as? String } == [tokenA])
            #expect(listA.json["total_count"] as? Int == 1)
            #expect(
                try await client.call(.get, tokensPath() + "?project_id=\(projectB)", headers: Self.headers(Self.keyA)).status == .forbidden
            )
            #expect(try await client.count(headers: Self.headers(Self.admin)) == 2)

            // Another project's token looks exactly like a missing one, and stays.
            let get = try await client.call(.get, tokensPath() + "/" + tokenB, headers: Self.headers(Self.keyA))
            #expect(get.status == .notFound)
            #expect(!get.text.contains(projectB))
            #expect(try await client.call(.delete, tokensPath() + "/" + tokenB, headers: Self.headers(Self.keyA)).status == .notFound)
            #expect(try await client.call(.get, tokensPath() + "/" + tokenB, headers: Self.headers(Self.keyB)).status == .ok)
            #expect(try await client.call(.delete, tokensPath() + "/" + tokenB, headers: Self.headers(Self.admin)).status == .noContent)
        }
    }

    @Test func resetIsRefusedInKeysMode() async throws {
        try await TestServer(access: Self.keyring).run { client in
            try await client.createToken(headers: Self.headers(Self.keyA))
            let answer = try await client.call(.post, "/_tokend/reset", headers: Self.headers(Self.admin))
            #expect(answer.status == .forbidden)
            #expect(try await client.count(headers: Self.headers(Self.admin)) == 1)
        }
    }
}
