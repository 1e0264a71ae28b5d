import Foundation
import HTTPTypes
import Testing

@testable import TokendHTTP

/// `Idempotency-Key` on create: a retry answers the first token, never a second one.
@Suite struct IdempotencyTests {
    static let body = #"{"project_id":"\#(projectA)","name":"retried","token_scopes":["write_only_logs"]}"#

    static func headers(_ key: String) -> HTTPFields { [.authToken: "k", .idempotencyKey: key] }

    @Test func aRetriedCreateAnswersTheFirstTokenWithoutItsSecret() async throws {
        try await TestServer().run { client in
            let first = try await client.call(.post, tokensPath(), headers: Self.headers("retry-1"), body: Self.body)
            #expect(first.status == .ok)
            #expect(first.json["secret_key"] is String)
            var extended = Self.headers("retry-1")
            extended[.prefer] = "tokend-extensions"
            let second = try await client.call(.post, tokensPath(), headers: extended, body: Self.body)
            #expect(second.status == .ok)
            #expect(second.json["id"] as? String == first.json["id"] as? String)
            #expect(second.json["secret_key"] is NSNull)
            #expect((second.json["idempotent_replay"] as? String)?.contains("shown only then") == true)
            #expect(second.headers[.idempotentReplayed] == "true")
            // Without the extensions, the replay is the public shape; the header still says so.
            let third = try await client.call(.post, tokensPath(), headers: Self.headers("retry-1"), body: Self.body)
            #expect(third.json["idempotent_replay"] == nil)
            #expect(third.json["secret_key"] is NSNull)
            #expect(third.headers[.idempotentReplayed] == "true")
            #expect(try await client.count() == 1)
            // Another key is another token.
            #expect(try await client.call(.post, tokensPath(), headers: Self.headers("retry-2"), body: Self.body).status == .ok)
            #expect(try await client.count() == 2)
        }
    }

    @Test func theSameKeyWithAnotherBodyIsAConflict() async throws {
        try await TestServer().run { client in
            #expect(try await client.call(.post, tokensPath(), headers: Self.headers("k-1"), body: Self.body).status == .ok)
            let other = try await client.call(
                .post, tokensPath(), headers: Self.headers("k-1"),
                body: #"{"project_id":"\#(projectA)","name":"retried","token_scopes":["read_only_logs"]}"#)
            #expect(other.status == .conflict)
            #expect(other.json["type"] as? String == "conflict")
            #expect(try await client.count() == 1)
        }
    }

    @Test func concurrentRetriesMakeOneToken() async throws {
        try await TestServer().run { client in
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await client.call(.post, tokensPath(), headers: Self.headers("race"), body: Self.body).json["id"] as? String
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(ids.allSatisfy { $0 != nil })
            #expect(Set(ids).count == 1)
            #expect(try await client.count() == 1)
        }
    }

    @Test func aKeyWhoseTokenWasDeletedIsAConflictAndAMalformedKeyIsRefused() async throws {
        try await TestServer().run { client in
            let id = try #require(
                try await client.call(.post, tokensPath(), headers: Self.headers("gone"), body: Self.body).json["id"] as? String)
            #expect(try await client.call(.delete, tokensPath() + "/" + id).status == .noContent)
            #expect(try await client.call(.post, tokensPath(), headers: Self.headers("gone"), body: Self.body).status == .conflict)
            let malformed = try await client.call(
                .post, tokensPath(), headers: Self.headers(String(repeating: "k", count: 256)), body: Self.body)
            #expect(malformed.argumentNames == ["Idempotency-Key"])
            #expect(try await client.count() == 0)
        }
    }
}
