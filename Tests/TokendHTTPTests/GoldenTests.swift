import Foundation
import HTTPTypes
import Testing

@testable import TokendHTTP

/// The public API's recorded answers, byte for byte once ids, times and secrets are
/// replaced by placeholders: a renamed, reordered or added field fails here. By default a
/// token has exactly the public eight fields; `Prefer: tokend-extensions` adds tokend's.
@Suite struct GoldenTests {
    static let createAnswer =
        #"{"id":"<uuid>","project_id":"<uuid>","name":"golden","created_at":"<time>","updated_at":"<time>","scopes":["write_only_metrics","read_only_metrics","write_only_logs"],"secret_key":"<secret>","region":"fr-par"}"#
    static let getAnswer =
        #"{"id":"<uuid>","project_id":"<uuid>","name":"golden","created_at":"<time>","updated_at":"<time>","scopes":["write_only_metrics","read_only_metrics","write_only_logs"],"secret_key":null,"region":"fr-par"}"#
    static let listAnswer = #"{"total_count":1,"tokens":[\#(getAnswer)]}"#
    static let extendedGetAnswer =
        #"{"id":"<uuid>","project_id":"<uuid>","name":"golden","created_at":"<time>","updated_at":"<time>","scopes":["write_only_metrics","read_only_metrics","write_only_logs"],"secret_key":null,"region":"fr-par","secret_prefix":"<prefix>","expires_at":null,"last_used_at":null,"status":"active"}"#
    static let notFoundAnswer = #"{"message":"resource is not found","resource":"token","resource_id":"<uuid>","type":"not_found"}"#
    static let invalidArgumentsAnswer =
        #"{"details":[{"argument_name":"name","help_message":"name must be 3 to 50 characters of letters, digits, '_' or '-'","reason":"constraint"}],"message":"invalid argument(s)","type":"invalid_arguments"}"#
    static let unauthenticatedAnswer =
        #"{"message":"authentication is denied","method":"unknown_method","reason":"invalid_argument","type":"denied_authentication"}"#

    /// Replaces what differs from run to run with placeholders.
    static func normalised(_ text: String) -> String {
        // Secrets only where they are exactly the public 64 characters (54 after the fr-par hint).
        text.replacing(/tkd_frpar_[0-9A-Za-z]{54}/, with: "<secret>")
            .replacing(/tkd_[a-z0-9]+_[0-9A-Za-z]{8}/, with: "<prefix>")
            .replacing(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, with: "<uuid>")
            .replacing(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/, with: "<time>")
    }

    @Test func theRecordedAnswersMatchByteForByte() async throws {
        try await TestServer().run { client in
            let created = try await client.call(
                .post, tokensPath(),
                body: """
                    {"project_id":"\(projectA)","name":"golden","token_scopes":["read_only_metrics","write_only_logs","write_only_metrics"]}
                    """)
            #expect(created.status == .ok)
            #expect(Self.normalised(created.text) == Self.createAnswer)
            #expect(created.headers[.preferenceApplied] == nil)
            let id = try #require(created.json["id"] as? String)

            let fetched = try await client.call(.get, tokensPath() + "/" + id)
            #expect(Self.normalised(fetched.text) == Self.getAnswer)
            let listed = try await client.call(.get, tokensPath() + "?project_id=\(projectA)")
            #expect(Self.normalised(listed.text) == Self.listAnswer)

            var extended = anyKey
            extended[.prefer] = "tokend-extensions"
            let fetchedWithExtensions = try await client.call(.get, tokensPath() + "/" + id, headers: extended)
            #expect(Self.normalised(fetchedWithExtensions.text) == Self.extendedGetAnswer)
            #expect(fetchedWithExtensions.headers[.preferenceApplied] == "tokend-extensions")

            let deleted = try await client.call(.delete, tokensPath() + "/" + id)
            #expect(deleted.status == .noContent)
            #expect(deleted.text == "")
            #expect(deleted.headers[.contentType] == "application/json")

            let missing = try await client.call(.delete, tokensPath() + "/" + id)
            #expect(missing.status == .notFound)
            #expect(Self.normalised(missing.text) == Self.notFoundAnswer)

            let invalid = try await client.call(
                .post, tokensPath(), body: #"{"project_id":"\#(projectA)","name":"x!","token_scopes":["read_only_logs"]}"#)
            #expect(invalid.status == .badRequest)
            #expect(invalid.text == Self.invalidArgumentsAnswer)

            let unauthenticated = try await client.call(.get, tokensPath(), headers: [:])
            #expect(unauthenticated.status == .unauthorized)
            #expect(unauthenticated.text == Self.unauthenticatedAnswer)
        }
    }
}
