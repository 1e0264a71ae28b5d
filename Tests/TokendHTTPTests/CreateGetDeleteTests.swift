import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

@Suite struct CreateGetDeleteTests {
    @Test func createAnswers200WithTheSecretOnceAndFieldsInContractOrder() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(
                .post, tokensPath(),
                body: """
                    {"project_id":"\(projectA)","name":"collector_1","token_scopes":["read_only_logs","write_only_metrics","read_only_logs"]}
                    """)
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "application/json")
            // Exactly the public API's eight fields, in its order.
            let keys = try #require(try orderedKeys(answer.text))
            #expect(keys == ["id", "project_id", "name", "created_at", "updated_at", "scopes", "secret_key", "region"])
            let token = answer.json
            #expect(token["project_id"] as? String == projectA)
            #expect(token["name"] as? String == "collector_1")
            #expect(token["region"] as? String == "fr-par")
            // Duplicates collapse; the order is the canonical one, not the request's.
            #expect(token["scopes"] as? [String] == ["write_only_metrics", "read_only_logs"])
            #expect(token["created_at"] as? String == token["updated_at"] as? String)
            let created = try #require(token["created_at"] as? String)
            #expect(created.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/) != nil)
            let secret = try #require(token["secret_key"] as? String)
            #expect(secret.count == 64)
            #expect(secret.hasPrefix("tkd_frpar_"))
            #expect(SecretFormat.parse(secret)?.region == RegionName("fr-par"))
            #expect(CanonicalUUID(try #require(token["id"] as? String)) != nil)
        }
    }

    @Test func tokendsExtensionsFollowThePublicFieldsWhenAskedFor() async throws {
        try await TestServer().run { client in
            var headers = anyKey
            headers[.prefer] = "respond-async, Tokend-Extensions; strict"
            let answer = try await client.call(
                .post, tokensPath(), headers: headers, body: #"{"project_id":"\#(projectA)","token_scopes":["read_only_logs"]}"#)
            #expect(answer.status == .ok)
            #expect(answer.headers[.preferenceApplied] == "tokend-extensions")
            let keys = try #require(try orderedKeys(answer.text))
            #expect(
                keys == [
                    "id", "project_id", "name", "created_at", "updated_at", "scopes", "secret_key", "region",
                    "secret_prefix", "expires_at", "last_used_at", "status",
                ])
            let secret = try #require(answer.json["secret_key"] as? String)
            #expect(answer.json["secret_prefix"] as? String == String(secret.prefix(18)))
            #expect(answer.json["status"] as? String == "active")
            let listed = try await client.call(.get, tokensPath(), headers: headers)
            #expect(listed.headers[.preferenceApplied] == "tokend-extensions")
            #expect(listed.tokens.first?["status"] as? String == "active")
            // Another preference alone changes nothing.
            headers[.prefer] = "return=minimal"
            let plain = try await client.call(.get, tokensPath(), headers: headers)
            #expect(plain.status == .ok)
            #expect(plain.tokens.count == 1)
            #expect(plain.tokens.first?["status"] == nil)
            #expect(plain.headers[.vary] == "Prefer")
            #expect(plain.headers[.preferenceApplied] == nil)
        }
    }

    @Test func getShowsTheSameTokenWithANullSecret() async throws {
        try await TestServer().run { client in
            let created = try await client.createToken(name: "reader", scopes: ["read_only_traces"])
            let id = try #require(created["id"] as? String)
            let answer = try await client.call(.get, tokensPath() + "/" + id)
            #expect(answer.status == .ok)
            #expect(answer.text.contains(#""secret_key":null"#))
            for field in ["id", "project_id", "name", "created_at", "updated_at", "scopes", "region"] {
                #expect(answer.json[field] as? NSObject == created[field] as? NSObject, "field \(field)")
            }
        }
    }

    @Test func aMissingNameIsGenerated() async throws {
        try await TestServer().run { client in
            let created = try await client.createToken(name: nil)
            let name = try #require(created["name"] as? String)
            #expect(name.wholeMatch(of: /token-[a-z0-9]{8}/) != nil)
        }
    }

    @Test func unknownFieldsAreIgnored() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(
                .post, tokensPath(),
                body: """
                    {"project_id":"\(projectA)","token_scopes":["read_only_logs"],"colour":"blue","nested":{"a":[1,2]}}
                    """)
            #expect(answer.status == .ok)
        }
    }

    @Test func deleteAnswers204EmptyAndJSONTypedThenNotFound() async throws {
        try await TestServer().run { client in
            let id = try #require(try await client.createToken()["id"] as? String)
            let first = try await client.call(.delete, tokensPath() + "/" + id)
            #expect(first.status == .noContent)
            #expect(first.text.isEmpty)
            #expect(first.headers[.contentType] == "application/json")
            let second = try await client.call(.delete, tokensPath() + "/" + id)
            #expect(second.status == .notFound)
            #expect(second.text == #"{"message":"resource is not found","resource":"token","resource_id":"\#(id)","type":"not_found"}"#)
            #expect(try await client.call(.get, tokensPath() + "/" + id).status == .notFound)
            #expect(try await client.count() == 0)
        }
    }

    @Test func aTokenOfOneRegionIsNotFoundInAnother() async throws {
        try await TestServer().run { client in
            let id = try #require(try await client.createToken(region: "fr-par")["id"] as? String)
            let answer = try await client.call(.get, tokensPath("nl-ams") + "/" + id)
            #expect(answer.text == #"{"message":"resource is not found","resource":"token","resource_id":"\#(id)","type":"not_found"}"#)
            #expect(try await client.call(.delete, tokensPath("nl-ams") + "/" + id).status == .notFound)
            #expect(try await client.call(.get, tokensPath("fr-par") + "/" + id).status == .ok)
        }
    }

    @Test func getAndDeleteAcceptAnEmptyJSONBodyWithoutContentType() async throws {
        // The Python SDK sends `{}` with no Content-Type on GET and DELETE.
        try await TestServer().run { client in
            let id = try #require(try await client.createToken()["id"] as? String)
            #expect(try await client.call(.get, tokensPath() + "/" + id, body: "{}").status == .ok)
            #expect(try await client.call(.get, tokensPath(), body: "{}").status == .ok)
            #expect(try await client.call(.delete, tokensPath() + "/" + id, body: "{}").status == .noContent)
        }
    }

    @Test func tokenIDsAreMatchedWhateverTheirCase() async throws {
        try await TestServer().run { client in
            let id = try #require(try await client.createToken()["id"] as? String)
            let answer = try await client.call(.get, tokensPath() + "/" + id.uppercased())
            #expect(answer.status == .ok)
            #expect(answer.json["id"] as? String == id)
        }
    }
}

/// The top-level keys of a JSON object in the order they appear in the text.
func orderedKeys(_ json: String) throws -> [String]? {
    guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
    return object.keys.sorted { json.range(of: "\"\($0)\":")!.lowerBound < json.range(of: "\"\($1)\":")!.lowerBound }
}
