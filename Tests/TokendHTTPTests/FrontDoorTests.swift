import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

@Suite struct FrontDoorTests {
    @Test func anUnknownRegionIs400NamingTheServedRegions() async throws {
        try await TestServer().run { client in
            for region in ["xx-yyy", "FR-PAR", "fr-par..", "%2e%2e"] {
                let answer = try await client.call(.get, tokensPath(region))
                #expect(answer.status == .badRequest, "\(region)")
                #expect(answer.argumentNames == ["region"])
                let help = try #require(answer.details.first?["help_message"] as? String)
                #expect(help.contains("fr-par, nl-ams, pl-waw"))
            }
        }
    }

    @Test func everyAnswerCarriesARequestIDAndAWellFormedOneIsKept() async throws {
        try await TestServer().run { client in
            let answers = [
                try await client.call(.get, tokensPath()),
                try await client.call(.get, tokensPath(), headers: [:]),
                try await client.call(.get, "/nowhere"),
                try await client.call(.delete, tokensPath() + "/bad"),
                try await client.call(.get, "/_tokend/health"),
            ]
            let ids = answers.map { $0.headers[.requestID] }
            #expect(ids.allSatisfy { $0.map { UUIDCheck.isUUID($0) } == true })
            #expect(Set(ids).count == ids.count)

            let kept = try await client.call(.get, tokensPath(), headers: [.authToken: "k", .requestID: "trace-42.a_b"])
            #expect(kept.headers[.requestID] == "trace-42.a_b")
            let replaced = try await client.call(.get, tokensPath(), headers: [.authToken: "k", .requestID: "bad id\u{7F}"])
            #expect(replaced.headers[.requestID].map(UUIDCheck.isUUID) == true)
        }
    }

    @Test func anUnknownRouteIsAJSONNotFound() async throws {
        try await TestServer().run { client in
            for (method, path) in [(HTTPRequest.Method.get, "/nowhere"), (.put, tokensPath()), (.patch, tokensPath() + "/x")] {
                let answer = try await client.call(method, path)
                #expect(answer.status == .notFound)
                #expect(answer.headers[.contentType] == "application/json")
                #expect(answer.json["type"] as? String == "not_found")
                #expect(answer.json["resource"] as? String == "route")
            }
        }
    }

    @Test func theOpenAPIDocumentAndTheConsoleAreServedAsTheyShip() async throws {
        try await TestServer().run { client in
            let document = try await client.call(.get, "/_tokend/openapi.yaml", headers: [:])
            #expect(document.status == .ok)
            #expect(document.headers[.contentType] == "application/yaml")
            let shipped = try String(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                    .appendingPathComponent("../../api-spec/openapi.yaml"), encoding: .utf8)
            #expect(document.text == shipped)
            let console = try await client.call(.get, "/console", headers: [:])
            #expect(console.status == .ok)
            #expect(console.headers[.contentType] == "text/html; charset=utf-8")
            #expect(console.text.contains("<html"))
            for sneaky in ["/console/..%2Fopenapi.yaml", "/console/.hidden", "/console/missing.js"] {
                let answer = try await client.call(.get, sneaky, headers: [:])
                #expect(answer.status == .notFound, "\(sneaky)")
                #expect(answer.json["type"] as? String == "not_found")
            }
        }
    }

    @Test func healthReportsEveryRegion() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.get, "/_tokend/health", headers: [:])
            #expect(answer.status == .ok)
            #expect(answer.json["status"] as? String == "ok")
            let regions = try #require(answer.json["regions"] as? [[String: Any]])
            #expect(regions.map { $0["region"] as? String } == ["fr-par", "nl-ams", "pl-waw"])
            #expect(regions.allSatisfy { $0["state"] as? String == "ok" })
            let locations = regions.compactMap { $0["location"] as? String }
            switch Topology.current {
            case .embedded: #expect(locations == ["local", "local", "local"])
            case .gateway: #expect(locations.count == 3 && locations.allSatisfy { $0.hasPrefix("http://127.0.0.1:") })
            }
        }
    }

    @Test func resetEmptiesOneRegionOrAll() async throws {
        try await TestServer().run { client in
            try await client.createToken(region: "fr-par")
            try await client.createToken(region: "nl-ams")
            try await client.createToken(region: "pl-waw")
            let one = try await client.call(.post, "/_tokend/reset?region=nl-ams", headers: [:])
            #expect(one.status == .ok)
            #expect(one.json["reset"] as? [String] == ["nl-ams"])
            #expect(try await client.count(region: "nl-ams") == 0)
            #expect(try await client.count(region: "fr-par") == 1)
            #expect(try await client.call(.post, "/_tokend/reset?region=zz-top", headers: [:]).status == .badRequest)
            let all = try await client.call(.post, "/_tokend/reset", headers: [:])
            #expect(all.json["reset"] as? [String] == ["fr-par", "nl-ams", "pl-waw"])
            #expect(try await client.count(region: "fr-par") == 0)
            #expect(try await client.count(region: "pl-waw") == 0)
        }
    }
}

enum UUIDCheck {
    static func isUUID(_ text: String) -> Bool { UUID(uuidString: text) != nil }
}

@Suite struct VersionTests {
    @Test func healthSaysTheVersionTheCommandPrints() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.get, "/_tokend/health", headers: [:])
            #expect(answer.status == .ok)
            #expect(answer.json["version"] as? String == TokendVersion.current)
            // The document's version moves with tokend's.
            let document = try String(contentsOfFile: "Sources/TokendHTTP/Resources/spec/openapi.yaml", encoding: .utf8)
            #expect(document.contains("\n  version: \(TokendVersion.current)\n"))
        }
    }
}
