import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

/// The audit trail at `GET /cockpit/v1/regions/{region}/activity`.
@Suite struct ActivityTests {
    static func activityPath(_ region: String = "fr-par") -> String { "/cockpit/v1/regions/\(region)/activity" }

    @Test func createRotateAndRevokeAreRecordedWithActorAndRequestID() async throws {
        try await TestServer().run { client in
            let created = try await client.call(
                .post, tokensPath(), headers: [.authToken: "alice-key-1", .requestID: "req-create"],
                body: #"{"project_id":"\#(projectA)","token_scopes":["read_only_logs"]}"#)
            let id = try #require(created.json["id"] as? String)
            #expect(
                try await client.call(.post, tokensPath() + "/\(id)/rotate", headers: [.authToken: "bob-key-22", .requestID: "req-rotate"])
                    .status == .ok)
            #expect(
                try await client.call(.delete, tokensPath() + "/\(id)", headers: [.authToken: "carol-key-333", .requestID: "req-delete"])
                    .status == .noContent)

            let trail = try await client.call(.get, Self.activityPath())
            #expect(trail.status == .ok)
            #expect(trail.json["total_count"] as? Int == 3)
            let events = try #require(trail.json["events"] as? [[String: Any]])
            #expect(events.map { $0["type"] as? String } == ["api_key.revoked", "api_key.rotated", "api_key.created"])
            #expect(events.map { $0["request_id"] as? String } == ["req-delete", "req-rotate", "req-create"])
            #expect(events.map { $0["actor"] as? String } == ["carol-ke", "bob-key-", "alice-ke"])
            #expect(events.allSatisfy { $0["token_id"] as? String == id && $0["project_id"] as? String == projectA })
            #expect(events.allSatisfy { $0["region"] as? String == "fr-par" })
            #expect(events.allSatisfy { ($0["at"] as? String).flatMap(Timestamp.init(rfc3339:)) != nil })
            #expect(try await client.call(.get, Self.activityPath("nl-ams")).json["total_count"] as? Int == 0)
        }
    }

    @Test func theTrailFiltersByTokenAndProjectAndPages() async throws {
        try await TestServer().run { client in
            let first = try #require(try await client.createToken(project: projectA)["id"] as? String)
            try await client.createToken(project: projectA)
            try await client.createToken(project: projectB)
            #expect(try await client.call(.get, Self.activityPath() + "?token_id=\(first)").json["total_count"] as? Int == 1)
            #expect(try await client.call(.get, Self.activityPath() + "?project_id=\(projectA)").json["total_count"] as? Int == 2)
            let page = try await client.call(.get, Self.activityPath() + "?page=2&page_size=2")
            #expect(page.json["total_count"] as? Int == 3)
            #expect((page.json["events"] as? [Any])?.count == 1)
            #expect(try await client.call(.get, Self.activityPath() + "?token_id=nope").argumentNames == ["token_id"])
            #expect(try await client.call(.get, Self.activityPath(), headers: [:]).status == .unauthorized)
        }
    }

    @Test func refusedVerifiesAreCountedOnTheTrail() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let token = try await client.createToken(scopes: ["read_only_logs"])
            let secret = try #require(token["secret_key"] as? String)
            for _ in 0..<3 {
                let answer = try await client.call(.get, VerifyTests.verify, headers: VerifyTests.headers(secret, operation: "logs.push"))
                #expect(answer.status == .forbidden)
            }
            try await server.flushUsage()
            let events = try #require(try await client.call(.get, Self.activityPath()).json["events"] as? [[String: Any]])
            let denied = try #require(events.first { $0["type"] as? String == "api_key.denied" })
            #expect(denied["count"] as? Int == 3)
            #expect(denied["reason"] as? String == "scope")
            #expect(denied["token_id"] as? String == token["id"] as? String)
        }
    }

    @Test func aKeySeesOnlyItsProjectsEvents() async throws {
        try await TestServer(access: ManagementAuthTests.keyring).run { client in
            try await client.createToken(project: projectA, headers: ManagementAuthTests.headers(ManagementAuthTests.keyA))
            try await client.createToken(project: projectB, headers: ManagementAuthTests.headers(ManagementAuthTests.keyB))
            let mine = try await client.call(.get, Self.activityPath(), headers: ManagementAuthTests.headers(ManagementAuthTests.keyA))
            #expect(mine.json["total_count"] as? Int == 1)
            #expect(!mine.text.contains(projectB))
            let theirs = try await client.call(
                .get, Self.activityPath() + "?project_id=\(projectB)",
                headers: ManagementAuthTests.headers(ManagementAuthTests.keyA))
            #expect(theirs.status == .forbidden)
        }
    }
}
