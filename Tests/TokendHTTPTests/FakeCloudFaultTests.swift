import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing
import TokendCore

@testable import TokendHTTP

/// `/_tokend/faults`: a suite asks for failures on purpose (a status with the dialect's own
/// error body, a delay, a dropped connection), scoped by region, dialect and operation, with
/// a count and a probability; through a gateway too, where the gateway injects them.
@Suite struct FakeCloudFaultTests {
    static let faults = "/_tokend/faults"
    static let json: HTTPFields = [.contentType: "application/json"]
    static let createBody = #"{"project_id":"\#(projectA)","token_scopes":["write_only_metrics"]}"#

    static func verifyHeaders(_ secret: String) -> HTTPFields {
        [.authorization: "Bearer \(secret)", .scopeOrgID: projectA, .tokendOperation: "metrics.push"]
    }

    func rules(_ client: any TestClientProtocol) async throws -> [[String: Any]] {
        let answer = try await client.call(.get, Self.faults, headers: [:])
        #expect(answer.status == .ok)
        return answer.json["faults"] as? [[String: Any]] ?? []
    }

    @Test func aRuleIsAnsweredWhole() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(
                .post, Self.faults, headers: Self.json,
                body:
                    #"{"region":"fr-par","dialect":"cockpit","operation":"create","effect":"status","status":503,"probability":1,"count":1}"#
            )
            #expect(answer.status == .created)
            #expect(answer.headers[.contentType] == "application/json")
            let rule = answer.json
            #expect(rule["id"] as? Int != nil)
            #expect(rule["region"] as? String == "fr-par")
            #expect(rule["dialect"] as? String == "cockpit")
            #expect(rule["operation"] as? String == "create")
            #expect(rule["effect"] as? String == "status")
            #expect(rule["status"] as? Int == 503)
            #expect(rule["probability"] as? Double == 1)
            #expect(rule["count"] as? Int == 1)
            #expect(rule["fired"] as? Int == 0)

            // What is left out is any: nulls, a 503 by default, no limit.
            let loose = try await client.addFault("{}")
            #expect(loose["region"] is NSNull)
            #expect(loose["dialect"] is NSNull)
            #expect(loose["operation"] is NSNull)
            #expect(loose["effect"] as? String == "status")
            #expect(loose["status"] as? Int == 503)
            #expect(loose["probability"] as? Double == 1)
            #expect(loose["count"] is NSNull)
            #expect(loose["id"] as? Int != rule["id"] as? Int)
        }
    }

    @Test func a503ForCreateIsCockpitsOutOfStockOnceThenCreatesWorkAgain() async throws {
        try await TestServer().run { client in
            try await client.addFault(#"{"region":"fr-par","dialect":"cockpit","operation":"create","status":503,"count":1}"#)
            let body = #"{"project_id":"\#(projectA)","token_scopes":["write_only_metrics"]}"#
            let refused = try await client.call(.post, tokensPath(), body: body)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.headers[.contentType] == "application/json")
            #expect(refused.headers[.requestID] != nil)
            #expect(refused.keyOrders == [["message", "resource", "type"]])
            #expect(refused.json["resource"] as? String == "region fr-par")
            #expect(refused.json["type"] as? String == "out_of_stock")
            #expect((refused.json["message"] as? String)?.isEmpty == false)
            // Nothing was created, and the next create goes through.
            #expect(try await client.count() == 0)
            #expect(try await client.call(.post, tokensPath(), body: body).status == .ok)
            #expect(try await client.call(.post, tokensPath(), body: body).status == .ok)
            #expect(try await client.count() == 2)
            let listed = try await rules(client)
            #expect(listed.count == 1)
            #expect(listed.first?["fired"] as? Int == 1)
        }
    }

    @Test func a429IsTooManyRequestsWithRetryAfter() async throws {
        try await TestServer().run { client in
            try await client.addFault(#"{"dialect":"cockpit","operation":"list","status":429}"#)
            let refused = try await client.call(.get, tokensPath("nl-ams"))
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json["type"] as? String == "too_many_requests")
            #expect(refused.headers[.retryAfter] == "1")
            // Only lists: a create still works.
            try await client.createToken(region: "nl-ams")
            #expect(try await client.call(.get, tokensPath("nl-ams")).status == .tooManyRequests)
        }
    }

    @Test func a500IsTheContractsInternalError() async throws {
        try await TestServer().run { client in
            let token = try await client.createToken()
            let id = try #require(token["id"] as? String)
            try await client.addFault(#"{"operation":"get","status":500}"#)
            let refused = try await client.call(.get, tokensPath() + "/\(id)")
            #expect(refused.status == .internalServerError)
            #expect(refused.text == internalErrorJSON)
            #expect(refused.json["type"] as? String == "internal_error")
            #expect(refused.headers[.retryAfter] == nil)
        }
    }

    @Test func anXScalerRuleAnswersInThePortalsTerms() async throws {
        try await TestServer().run { client in
            let jwt = try await client.portalLogin()
            try await client.createTenant(jwt, displayName: "Payments")
            try await client.addFault(#"{"dialect":"xscaler","operation":"list_tenants","status":429,"count":1}"#)
            let limited = try await client.portal(.get, "/tenants", jwt)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.json["error"] as? String == "rate_limited")
            #expect((limited.json["message"] as? String)?.isEmpty == false)
            #expect(limited.headers[.retryAfter] == "1")
            #expect(try await client.portal(.get, "/tenants", jwt).array.count == 1)

            try await client.addFault(#"{"dialect":"xscaler","operation":"list_tenants","status":503,"count":1}"#)
            let unavailable = try await client.portal(.get, "/api/portal/tenants", jwt)
            #expect(unavailable.status == .serviceUnavailable)
            #expect(unavailable.json["error"] as? String == "unavailable")
            #expect(unavailable.headers[.retryAfter] == "1")

            try await client.addFault(#"{"dialect":"xscaler","operation":"create_tenant","status":500,"count":1}"#)
            let broken = try await client.portal(.post, "/tenants", jwt, body: #"{"display_name":"Other"}"#)
            #expect(broken.status == .internalServerError)
            #expect(broken.json["error"] as? String == "internal_error")
            #expect(try await client.portal(.get, "/tenants", jwt).array.count == 1)
            // A cockpit call is no portal call.
            try await client.createToken()
        }
    }

    @Test func aVerifyRuleIsTheVerifyRefusalAndFoldsInNginxMode() async throws {
        try await TestServer().run { client in
            let token = try await client.createToken()
            let secret = try #require(token["secret_key"] as? String)
            try await client.addFault(#"{"dialect":"data_plane","operation":"verify","status":503}"#)
            let refused = try await client.call(.get, "/_tokend/verify", headers: Self.verifyHeaders(secret))
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.json["type"] as? String == "out_of_stock")
            #expect(refused.json["resource"] as? String == "region fr-par")
            #expect(refused.headers[.retryAfter] == "1")
            let nginx = try await client.call(.get, "/_tokend/verify?mode=nginx", headers: Self.verifyHeaders(secret))
            #expect(nginx.status == .forbidden)
            #expect(nginx.headers[.tokendStatus] == "503")

            #expect(try await client.call(.delete, Self.faults, headers: [:]).status == .noContent)
            try await client.addFault(#"{"dialect":"data_plane","status":429}"#)
            let limited = try await client.call(.get, "/_tokend/verify?mode=nginx", headers: Self.verifyHeaders(secret))
            #expect(limited.status == .forbidden)
            #expect(limited.headers[.tokendStatus] == "429")
            // The management API is not the data plane.
            #expect(try await client.count() == 1)
        }
    }

    @Test func aRegionsRuleHitsOnlyThatRegion() async throws {
        try await TestServer().run { client in
            let amsterdam = try await client.createToken(region: "nl-ams")
            let paris = try await client.createToken(region: "fr-par")
            try await client.addFault(#"{"region":"nl-ams","status":503}"#)
            let refused = try await client.call(.get, tokensPath("nl-ams"))
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.json["resource"] as? String == "region nl-ams")
            #expect(try await client.call(.get, tokensPath("fr-par")).status == .ok)
            try await client.createToken(region: "pl-waw")
            // A verify's region is the one its secret names.
            let amsterdamSecret = try #require(amsterdam["secret_key"] as? String)
            let parisSecret = try #require(paris["secret_key"] as? String)
            #expect(
                try await client.call(.get, "/_tokend/verify", headers: Self.verifyHeaders(amsterdamSecret)).status == .serviceUnavailable)
            #expect(try await client.call(.get, "/_tokend/verify", headers: Self.verifyHeaders(parisSecret)).status == .ok)
            // A portal request names no region.
            let jwt = try await client.portalLogin()
            #expect(try await client.portal(.get, "/tenants", jwt).status == .ok)
        }
    }

    @Test func aDelayAnswersLateButRight() async throws {
        try await TestServer().run { client in
            try await client.createToken()
            let rule = try await client.addFault(#"{"effect":"delay","delay_ms":300,"operation":"list"}"#)
            #expect(rule["effect"] as? String == "delay")
            #expect(rule["delay_ms"] as? Int == 300)
            #expect(rule["status"] == nil)
            let started = ContinuousClock.now
            let answer = try await client.call(.get, tokensPath())
            let elapsed = ContinuousClock.now - started
            #expect(answer.status == .ok)
            #expect(answer.json["total_count"] as? Int == 1)
            #expect(elapsed >= .milliseconds(300), "answered after \(elapsed)")
            // Another operation is not delayed (a timing check would be flaky under load: count the hits).
            try await client.createToken()
            #expect(try await rules(client).first?["fired"] as? Int == 1)
        }
    }

    @Test func aDropLeavesTheClientWithoutAnAnswer() async throws {
        try await TestServer().run { client in
            try await client.createToken()
            let rule = try await client.addFault(#"{"effect":"drop","operation":"list","count":1}"#)
            #expect(rule["effect"] as? String == "drop")
            if let port = client.port {
                // Live (the gateway topology), on a connection of its own, as the drop closes it:
                // not a byte of an answer.
                let answer = try await RawHTTPClient.exchange(
                    port: port, "GET \(tokensPath()) HTTP/1.1\r\nHost: tokend\r\nX-Auth-Token: k\r\n\r\n")
                #expect(answer.isEmpty, "\(answer)")
            } else {
                // The router client sees the body fail: no complete answer.
                await #expect(throws: (any Error).self) { _ = try await client.call(.get, tokensPath()) }
            }
            #expect(try await client.count() == 1)
            let journal = try await client.journal(limit: 3)
            let dropped = journal.first { $0["operation"] as? String == "list" && $0["status"] as? Int == 0 }
            #expect(dropped != nil, "\(journal)")
        }
    }

    @Test func aDropOverTheNetworkClosesTheConnectionUnanswered() async throws {
        let server = try await TestServer()
        try await TestServer.application(server.regionFrontDoor).test(.live) { client in
            try await client.createToken()
            try await client.addFault(#"{"effect":"drop","operation":"list","count":1}"#)
            let url = "http://127.0.0.1:\(client.port!)" + tokensPath()
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "X-Auth-Token", value: "test-key")
            // The client either throws or gets a broken answer: never the list.
            var complete: (status: UInt, body: String)?
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
                let body = try await response.body.collect(upTo: 1 << 20)
                complete = (response.status.code, String(buffer: body))
            } catch {
                complete = nil
            }
            #expect(complete.map { $0.status == 200 && $0.body.contains("total_count") } != true, "\(String(describing: complete))")
            // The server goes on answering on a new connection.
            let again = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            #expect(again.status == .ok)
            let body = String(buffer: try await again.body.collect(upTo: 1 << 20))
            #expect(body.contains(#""total_count":1"#), "\(body)")
        }
    }

    @Test func probabilityZeroNeverFires() async throws {
        try await TestServer().run { client in
            try await client.addFault(#"{"status":503,"probability":0}"#)
            for _ in 0..<20 { try await client.createToken() }
            #expect(try await client.count() == 20)
            #expect(try await rules(client).first?["fired"] as? Int == 0)
        }
    }

    @Test func theRulesAreListedWithTheirHitsAndClearedAtOnce() async throws {
        try await TestServer().run { client in
            let first = try await client.addFault(#"{"operation":"create","status":503,"count":2}"#)
            let second = try await client.addFault(#"{"operation":"list","status":429}"#)
            for _ in 0..<3 { _ = try await client.call(.post, tokensPath(), body: Self.createBody) }
            _ = try await client.call(.get, tokensPath())
            let listed = try await rules(client)
            #expect(listed.map { $0["id"] as? Int } == [first["id"] as? Int, second["id"] as? Int])
            #expect(listed.map { $0["fired"] as? Int } == [2, 1])
            #expect(listed.first?["count"] as? Int == 2)
            #expect(listed.last?["status"] as? Int == 429)

            let cleared = try await client.call(.delete, Self.faults, headers: [:])
            #expect(cleared.status == .noContent)
            #expect(cleared.text.isEmpty)
            #expect(try await rules(client).isEmpty)
            #expect(try await client.call(.get, tokensPath()).status == .ok)
            try await client.createToken()
            #expect(try await client.count() == 2)
        }
    }

    @Test(arguments: [
        (#"{"bogus":1}"#, "bogus"), (#"{"status":404}"#, "status"), (#"{"probability":2}"#, "probability"),
        (#"{"probability":-0.5}"#, "probability"), (#"{"effect":"delay"}"#, "delay_ms"), (#"{"dialect":"tokend"}"#, "dialect"),
        (#"{"effect":"explode"}"#, "effect"), (#"{"count":0}"#, "count"), (#"{"region":"Paris"}"#, "region"),
        (#"{"effect":"delay","delay_ms":60001}"#, "delay_ms"),
    ])
    func aBadRuleIsRefusedNamingTheField(body: String, argument: String) async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.post, Self.faults, headers: Self.json, body: body)
            #expect(answer.status == .badRequest, "\(answer.text)")
            #expect(answer.json["type"] as? String == "invalid_arguments")
            #expect(answer.argumentNames == [argument], "\(answer.text)")
            #expect(try await rules(client).isEmpty)
        }
    }

    @Test func theFakeCloudIsRefusedOutsideOpenMode() async throws {
        let keyring = Keyring(entries: [(key: "admin-key-0000001", projects: .all)])
        try await TestServer(access: .keys(keyring)).run { client in
            let admin: HTTPFields = [.authToken: "admin-key-0000001", .contentType: "application/json"]
            let calls: [(HTTPRequest.Method, String, String?)] = [
                (.post, Self.faults, #"{"status":503}"#), (.get, Self.faults, nil), (.delete, Self.faults, nil),
                (.get, "/_tokend/requests", nil), (.post, "/_tokend/snapshots", #"{"name":"s1"}"#), (.get, "/_tokend/snapshots", nil),
                (.get, "/_tokend/snapshots/s1", nil), (.put, "/_tokend/snapshots/s1", #"{"format":"tokend-snapshot/1","regions":{}}"#),
                (.delete, "/_tokend/snapshots/s1", nil), (.post, "/_tokend/snapshots/s1/restore", nil),
                (.get, "/_tokend/state?region=fr-par", nil), (.put, "/_tokend/state?region=fr-par", #"{"region":"fr-par","image":""}"#),
            ]
            for (method, path, body) in calls {
                let answer = try await client.call(method, path, headers: admin, body: body)
                #expect(answer.status == .forbidden, "\(method) \(path): \(answer.status) \(answer.text)")
                #expect(answer.json["type"] as? String == "permissions_denied", "\(method) \(path)")
            }
            // And nothing was injected: the API answers as usual.
            #expect(try await client.call(.get, tokensPath(), headers: admin).status == .ok)
        }
    }

    /// The statuses of 50 creates under a rule that hits half of them.
    func statuses(seed: UInt64) async throws -> [Int] {
        let collected = Collected()
        try await TestServer().run(seed: seed) { client in
            try await client.addFault(#"{"dialect":"cockpit","operation":"create","status":503,"probability":0.5}"#)
            for _ in 0..<50 {
                let answer = try await client.call(.post, tokensPath(), body: Self.createBody)
                collected.append(Int(answer.status.code))
            }
        }
        return collected.values
    }

    @Test func aSeedHitsTheSameRequestsEveryRun() async throws {
        let first = try await statuses(seed: 42)
        let second = try await statuses(seed: 42)
        #expect(first.count == 50)
        #expect(first == second)
        #expect(Set(first) == [200, 503], "\(first)")
        let other = try await statuses(seed: 43)
        #expect(other != first)
    }
}

/// Values gathered inside a server's run, read after it.
final class Collected: Sendable {
    private let storage = Mutex([Int]())
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
