import Foundation
import HTTPTypes
import Testing

@Suite struct ListTests {
    @Test func listsEveryTokenWithAnExactTotalAndNullSecrets() async throws {
        try await TestServer().run { client in
            for index in 0..<3 { try await client.createToken(name: "token-\(index)") }
            let answer = try await client.call(.get, tokensPath())
            #expect(answer.status == .ok)
            #expect(try orderedKeys(answer.text) == ["total_count", "tokens"])
            #expect(answer.json["total_count"] as? Int == 3)
            #expect(answer.tokens.count == 3)
            #expect(answer.tokens.allSatisfy { $0["secret_key"] is NSNull })
        }
    }

    @Test func filtersByProjectAndTreatsAnEmptyProjectAsAbsent() async throws {
        try await TestServer().run { client in
            try await client.createToken(project: projectA)
            try await client.createToken(project: projectA)
            try await client.createToken(project: projectB)
            let onlyB = try await client.call(.get, tokensPath() + "?project_id=\(projectB)")
            #expect(onlyB.json["total_count"] as? Int == 1)
            #expect(onlyB.tokens.map { $0["project_id"] as? String } == [projectB])
            let empty = try await client.call(.get, tokensPath() + "?project_id=")
            #expect(empty.json["total_count"] as? Int == 3)
        }
    }

    @Test func aTokenMatchesWhenItHoldsEveryListedScope() async throws {
        try await TestServer().run { client in
            try await client.createToken(name: "metrics", scopes: ["write_only_metrics"])
            try await client.createToken(name: "both", scopes: ["write_only_metrics", "read_only_logs"])
            try await client.createToken(name: "logs", scopes: ["read_only_logs"])
            let one = try await client.call(.get, tokensPath() + "?token_scopes=write_only_metrics&order_by=name_asc")
            #expect(one.tokens.map { $0["name"] as? String } == ["both", "metrics"])
            #expect(one.json["total_count"] as? Int == 2)
            let two = try await client.call(.get, tokensPath() + "?token_scopes=write_only_metrics&token_scopes=read_only_logs")
            #expect(two.tokens.map { $0["name"] as? String } == ["both"])
            let none = try await client.call(.get, tokensPath() + "?token_scopes=read_only_traces")
            #expect(none.json["total_count"] as? Int == 0)
        }
    }

    @Test(arguments: [
        ("created_at_asc", ["bravo", "alpha", "charlie"]),
        ("created_at_desc", ["charlie", "alpha", "bravo"]),
        ("name_asc", ["alpha", "bravo", "charlie"]),
        ("name_desc", ["charlie", "bravo", "alpha"]),
    ])
    func ordersAsAsked(order: String, expected: [String]) async throws {
        try await TestServer().run { client in
            for name in ["bravo", "alpha", "charlie"] { try await client.createToken(name: name) }
            let answer = try await client.call(.get, tokensPath() + "?order_by=\(order)")
            #expect(answer.tokens.map { $0["name"] as? String } == expected)
        }
    }

    @Test func theDefaultOrderIsCreationTime() async throws {
        try await TestServer().run { client in
            for name in ["bravo", "alpha", "charlie"] { try await client.createToken(name: name) }
            #expect(try await client.call(.get, tokensPath()).tokens.map { $0["name"] as? String } == ["bravo", "alpha", "charlie"])
        }
    }

    @Test func equalNamesAreOrderedByIDSoPagesNeitherOverlapNorSkip() async throws {
        try await TestServer().run { client in
            var ids: [String] = []
            for _ in 0..<7 { ids.append(try #require(try await client.createToken(name: "same")["id"] as? String)) }
            for (order, expected) in [("name_asc", ids.sorted()), ("name_desc", ids.sorted().reversed())] {
                var seen: [String] = []
                for page in 1...4 {
                    let answer = try await client.call(.get, tokensPath() + "?order_by=\(order)&page_size=2&page=\(page)")
                    #expect(answer.json["total_count"] as? Int == 7)
                    seen += answer.tokens.compactMap { $0["id"] as? String }
                }
                #expect(seen == Array(expected), "order \(order)")
            }
        }
    }

    @Test func pagesDefaultTo20AndAPagePastTheEndIsEmptyWithTheTrueTotal() async throws {
        try await TestServer().run { client in
            for index in 0..<23 { try await client.createToken(name: "token-\(index)") }
            let first = try await client.call(.get, tokensPath())
            #expect(first.tokens.count == 20)
            #expect(first.json["total_count"] as? Int == 23)
            let second = try await client.call(.get, tokensPath() + "?page=2")
            #expect(second.tokens.count == 3)
            let beyond = try await client.call(.get, tokensPath() + "?page=3")
            #expect(beyond.status == .ok)
            #expect(beyond.tokens.isEmpty)
            #expect(beyond.json["total_count"] as? Int == 23)
            let farBeyond = try await client.call(.get, tokensPath() + "?page=9223372036854775807&page_size=1000")
            #expect(farBeyond.status == .ok)
            #expect(farBeyond.tokens.isEmpty)
            #expect(farBeyond.json["total_count"] as? Int == 23)
            let all = try await client.call(.get, tokensPath() + "?page_size=1000")
            #expect(Set(all.tokens.compactMap { $0["id"] as? String }).count == 23)
        }
    }

    @Test func regionsListOnlyTheirOwnTokens() async throws {
        try await TestServer().run { client in
            try await client.createToken(region: "fr-par")
            try await client.createToken(region: "pl-waw")
            try await client.createToken(region: "pl-waw")
            #expect(try await client.count(region: "fr-par") == 1)
            #expect(try await client.count(region: "nl-ams") == 0)
            let answer = try await client.call(.get, tokensPath("pl-waw"))
            #expect(answer.tokens.allSatisfy { $0["region"] as? String == "pl-waw" })
            #expect(answer.tokens.count == 2)
        }
    }
}
