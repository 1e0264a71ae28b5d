import Foundation
import HTTPTypes
import Testing
import TokendCore

@testable import TokendHTTP

/// `/_tokend/clock`: test suites set, advance and stop every region's clock, and what the
/// region times (timestamps, expiry) follows it; through a gateway too.
@Suite struct ClockTests {
    static let clock = "/_tokend/clock"
    static let json: HTTPFields = [.contentType: "application/json"]

    func readings(_ answer: Answer) -> [String: [String: Any]] {
        let regions = answer.json["regions"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: regions.compactMap { entry in (entry["region"] as? String).map { ($0, entry) } })
    }

    @Test func advancingTheClockMovesEveryRegionsTimestampsAndExpiresTokens() async throws {
        try await TestServer(adjustableClocks: true).run { client in
            let before = try await client.call(.get, Self.clock, headers: [:])
            #expect(before.status == .ok)
            #expect(Set(readings(before).keys) == ["fr-par", "nl-ams", "pl-waw"])
            #expect(readings(before).values.allSatisfy { $0["offset_seconds"] as? Double == 0 && $0["frozen"] as? Bool == false })

            let expiry = Timestamp.now().adding(seconds: 60).rfc3339
            let created = try await client.call(
                .post, tokensPath(), body: #"{"project_id":"\#(projectA)","token_scopes":["write_only_metrics"],"expires_at":"\#(expiry)"}"#
            )
            let secret = try #require(created.json["secret_key"] as? String)
            let verify = "/_tokend/verify?operation=metrics.push"
            let bearer: HTTPFields = [.authorization: "Bearer \(secret)", .scopeOrgID: projectA]
            #expect(try await client.call(.get, verify, headers: bearer).status == .ok)

            let advanced = try await client.call(.put, Self.clock, headers: Self.json, body: #"{"advance_seconds": 3600}"#)
            #expect(advanced.status == .ok)
            for (region, reading) in readings(advanced) {
                let offset = try #require(reading["offset_seconds"] as? Double, "\(region)")
                #expect((3599.9...3600.1).contains(offset), "\(region): \(offset)")
            }
            let refused = try await client.call(.get, verify, headers: bearer)
            #expect(refused.status == .unauthorized)
            #expect(refused.json["reason"] as? String == "expired")
            let later = try await client.createToken(region: "nl-ams")
            let createdAt = try #require(later["created_at"] as? String)
            let stamped = try #require(Timestamp(rfc3339: createdAt))
            #expect(stamped >= Timestamp.now().adding(seconds: 3599))

            let reset = try await client.call(.put, Self.clock, headers: Self.json, body: #"{"reset": true}"#)
            #expect(readings(reset).values.allSatisfy { abs($0["offset_seconds"] as? Double ?? 1) < 0.001 })
        }
    }

    @Test func aStoppedClockStampsTheInstantItWasSetTo() async throws {
        try await TestServer(adjustableClocks: true).run { client in
            let frozen = try await client.call(
                .put, Self.clock + "?region=fr-par", headers: Self.json, body: #"{"frozen": true, "time": "2030-01-01T00:00:00Z"}"#)
            #expect(frozen.status == .ok)
            #expect(Array(readings(frozen).keys) == ["fr-par"])
            #expect(readings(frozen)["fr-par"]?["now"] as? String == "2030-01-01T00:00:00.000000Z")
            #expect(readings(frozen)["fr-par"]?["frozen"] as? Bool == true)
            let first = try await client.createToken(region: "fr-par")
            let second = try await client.createToken(region: "fr-par")
            #expect(first["created_at"] as? String == "2030-01-01T00:00:00.000000Z")
            #expect(second["created_at"] as? String == "2030-01-01T00:00:00.000000Z")
            // Other regions keep running on their own clocks.
            let elsewhere = try await client.createToken(region: "nl-ams")
            #expect(elsewhere["created_at"] as? String != "2030-01-01T00:00:00.000000Z")
            let moved = try await client.call(.put, Self.clock + "?region=fr-par", headers: Self.json, body: #"{"advance_seconds": 90}"#)
            #expect(readings(moved)["fr-par"]?["now"] as? String == "2030-01-01T00:01:30.000000Z")
        }
    }

    @Test(arguments: [
        (#"{}"#, "body"), (#"{"advance_seconds": "soon"}"#, "advance_seconds"), (#"{"advance_seconds": 1.5}"#, "advance_seconds"),
        (#"{"time": "tomorrow"}"#, "time"), (#"{"frozen": "yes"}"#, "frozen"), (#"[]"#, "body"),
        (#"{"time": "9999-12-31T23:59:00Z", "advance_seconds": 3600}"#, "body"),
    ])
    func aBadChangeIsRefusedAndChangesNothing(body: String, argument: String) async throws {
        try await TestServer(adjustableClocks: true).run { client in
            let answer = try await client.call(.put, Self.clock, headers: Self.json, body: body)
            #expect(answer.status == .badRequest)
            #expect(answer.json["type"] as? String == "invalid_arguments")
            #expect(answer.argumentNames == [argument])
            let after = try await client.call(.get, Self.clock, headers: [:])
            #expect(readings(after).values.allSatisfy { $0["offset_seconds"] as? Double == 0 && $0["frozen"] as? Bool == false })
        }
    }

    @Test func theClockIsRefusedOutsideOpenMode() async throws {
        let keyring = Keyring(entries: [(key: "admin-key-0000001", projects: .all)])
        try await TestServer(access: .keys(keyring), adjustableClocks: true).run { client in
            let answer = try await client.call(.put, Self.clock, headers: Self.json, body: #"{"advance_seconds": 60}"#)
            #expect(answer.status == .forbidden)
            #expect(answer.json["type"] as? String == "permissions_denied")
            #expect(try await client.call(.get, Self.clock, headers: [:]).status == .forbidden)
        }
    }
}
