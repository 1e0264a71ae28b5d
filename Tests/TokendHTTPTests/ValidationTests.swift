import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// Bad input: a clear `invalid_arguments` (or 413) in the contract's format, and nothing written.
@Suite struct ValidationTests {
    static let badCreateBodies: [(body: String?, argument: String, reason: String)] = [
        (nil, "body", "required"),
        ("", "body", "required"),
        ("{not json", "body", "format"),
        ("[1,2]", "body", "format"),
        ("\"text\"", "body", "format"),
        (#"{"name":"abc","token_scopes":["read_only_logs"]}"#, "project_id", "required"),
        (#"{"project_id":null,"name":"abc","token_scopes":["read_only_logs"]}"#, "project_id", "required"),
        (#"{"project_id":"not-a-uuid","token_scopes":["read_only_logs"]}"#, "project_id", "format"),
        (#"{"project_id":42,"token_scopes":["read_only_logs"]}"#, "project_id", "format"),
        (#"{"project_id":"\#(projectA)","name":"ab","token_scopes":["read_only_logs"]}"#, "name", "constraint"),
        (#"{"project_id":"\#(projectA)","name":"has space","token_scopes":["read_only_logs"]}"#, "name", "constraint"),
        (
            #"{"project_id":"\#(projectA)","name":"\#(String(repeating: "x", count: 51))","token_scopes":["read_only_logs"]}"#, "name",
            "constraint"
        ),
        (#"{"project_id":"\#(projectA)","name":"x'; DROP TABLE token;--","token_scopes":["read_only_logs"]}"#, "name", "constraint"),
        (#"{"project_id":"\#(projectA)","name":"ünïcödé","token_scopes":["read_only_logs"]}"#, "name", "constraint"),
        (#"{"project_id":"\#(projectA)","name":true,"token_scopes":["read_only_logs"]}"#, "name", "format"),
        (#"{"project_id":"\#(projectA)"}"#, "token_scopes", "required"),
        (#"{"project_id":"\#(projectA)","token_scopes":null}"#, "token_scopes", "required"),
        (#"{"project_id":"\#(projectA)","token_scopes":[]}"#, "token_scopes", "required"),
        (#"{"project_id":"\#(projectA)","token_scopes":["unknown_scope"]}"#, "token_scopes", "format"),
        (#"{"project_id":"\#(projectA)","token_scopes":["READ_ONLY_LOGS"]}"#, "token_scopes", "format"),
        (#"{"project_id":"\#(projectA)","token_scopes":"read_only_logs"}"#, "token_scopes", "format"),
        (#"{"project_id":"\#(projectA)","token_scopes":[1]}"#, "token_scopes", "format"),
        (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "body", "constraint"),
        (#"{"project_id":"\#(projectA)","token_scopes":["read_only_logs"],"project_id":"not-a-uuid"}"#, "body", "format"),
        (#"{"project_id":"\#(projectA)","token_scopes":["read_only_logs"],"project\u005fid":"\#(projectB)"}"#, "body", "format"),
        ("{\"project_id\":\"\(projectA)\",\"token_scopes\":[\"read_only_logs\"],\"name\":\"a\u{0}bc\"}", "body", "format"),
    ]

    @Test(arguments: badCreateBodies)
    func aBadCreateIsRefusedAndWritesNothing(body: String?, argument: String, reason: String) async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.post, tokensPath(), body: body)
            #expect(answer.status == .badRequest)
            #expect(answer.headers[.contentType] == "application/json")
            #expect(answer.json["type"] as? String == "invalid_arguments")
            #expect(answer.json["message"] as? String == "invalid argument(s)")
            let detail = try #require(answer.details.first)
            #expect(detail["argument_name"] as? String == argument)
            #expect(detail["reason"] as? String == reason)
            #expect((detail["help_message"] as? String)?.isEmpty == false)
            #expect(try await client.count() == 0)
        }
    }

    @Test func everyProblemOfACreateIsNamedAtOnce() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.post, tokensPath(), body: #"{"project_id":"x","name":"!","token_scopes":["nope"]}"#)
            #expect(answer.argumentNames == ["project_id", "name", "token_scopes"])
            #expect(try orderedKeys(answer.text) == ["details", "message", "type"])
        }
    }

    @Test func aBodyOverTheLimitIs413AndWritesNothing() async throws {
        try await TestServer().run { client in
            let padding = String(repeating: "a", count: 70_000)
            let answer = try await client.call(
                .post, tokensPath(),
                body: #"{"project_id":"\#(projectA)","token_scopes":["read_only_logs"],"pad":"\#(padding)"}"#)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.json["type"] as? String == "payload_too_large")
            #expect(try await client.count() == 0)
        }
    }

    @Test func aUTF16BodyIsAFormatError() async throws {
        try await TestServer().run { client in
            let text = #"{"project_id":"\#(projectA)","token_scopes":["read_only_logs"]}"#
            let littleEndian: [UInt8] = text.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
            let withByteOrderMark: [UInt8] = [0xFF, 0xFE] + littleEndian
            for bytes in [littleEndian, withByteOrderMark] {
                let answer = try await client.execute(uri: tokensPath(), method: .post, headers: anyKey, body: ByteBuffer(bytes: bytes)) {
                    Answer(status: $0.status, headers: $0.headers, text: String(buffer: $0.body))
                }
                #expect(answer.status == .badRequest)
                #expect(answer.argumentNames == ["body"])
            }
            #expect(try await client.count() == 0)
        }
    }

    @Test func nestedObjectsMayReuseAKeyOfTheirParent() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(
                .post, tokensPath(),
                body: """
                    {"project_id":"\(projectA)","token_scopes":["read_only_logs"],"extra":{"project_id":1,"list":[{"a":1},{"a":2}]}}
                    """)
            #expect(answer.status == .ok)
        }
    }

    @Test func invalidUTF8IsAFormatError() async throws {
        try await TestServer().run { client in
            let bytes: [UInt8] = Array(#"{"project_id":""#.utf8) + [0xFF, 0xFE] + Array(#"","token_scopes":["read_only_logs"]}"#.utf8)
            let answer = try await client.execute(uri: tokensPath(), method: .post, headers: anyKey, body: ByteBuffer(bytes: bytes)) {
                Answer(status: $0.status, headers: $0.headers, text: String(buffer: $0.body))
            }
            #expect(answer.status == .badRequest)
            #expect(answer.argumentNames == ["body"])
            #expect(try await client.count() == 0)
        }
    }

    static let badListQueries: [(query: String, argument: String, reason: String)] = [
        ("page=0", "page", "constraint"),
        ("page=-1", "page", "constraint"),
        ("page=abc", "page", "format"),
        ("page=1.5", "page", "format"),
        ("page=9223372036854775808", "page", "format"),
        ("page=1&page=2", "page", "constraint"),
        ("page_size=0", "page_size", "constraint"),
        ("page_size=1001", "page_size", "constraint"),
        ("page_size=ten", "page_size", "format"),
        ("order_by=name", "order_by", "format"),
        ("order_by=NAME_ASC", "order_by", "format"),
        ("project_id=123", "project_id", "format"),
        ("token_scopes=write_everything", "token_scopes", "format"),
    ]

    @Test(arguments: badListQueries)
    func aBadListQueryNamesItsArgument(query: String, argument: String, reason: String) async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.get, tokensPath() + "?" + query)
            #expect(answer.status == .badRequest)
            #expect(answer.json["type"] as? String == "invalid_arguments")
            #expect(answer.argumentNames == [argument])
            #expect(answer.details.first?["reason"] as? String == reason)
        }
    }

    @Test func emptyListArgumentsCountAsAbsent() async throws {
        try await TestServer().run { client in
            try await client.createToken()
            let answer = try await client.call(.get, tokensPath() + "?project_id=&page=&page_size=&order_by=&token_scopes=")
            #expect(answer.status == .ok)
            #expect(answer.json["total_count"] as? Int == 1)
        }
    }

    @Test(arguments: ["not-a-uuid", "..", "%2e%2e", "%00", "11111111-2222-4333-8444-55555555555z", "%2F"])
    func aMalformedTokenIDIsAnArgumentError(id: String) async throws {
        try await TestServer().run { client in
            for method in [HTTPRequest.Method.get, .delete] {
                let answer = try await client.call(method, tokensPath() + "/" + id)
                #expect(answer.status == .badRequest, "\(method) \(id)")
                #expect(answer.argumentNames == ["token_id"])
            }
        }
    }
}
