import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TokendCore
import TokendStore

@testable import TokendHTTP

/// `/metrics` counts what the server just did, by bounded labels, and never names a token,
/// a project or a secret. Each test has its own exporter, so the counts are its own.
@Suite struct MetricsTests {
    /// Runs `body` against a server with metrics on, in this process (whatever the topology:
    /// a gateway's metrics are its own, tested below).
    func withMetrics(
        limits: RateLimits = .unlimited, _ body: @escaping @Sendable (any TestClientProtocol, MetricsExporter) async throws -> Void
    ) async throws {
        let exporter = MetricsExporter()
        let server = try await TestServer(limits: limits, metrics: exporter)
        try await TestServer.application(server.regionFrontDoor).test(.router) { client in try await body(client, exporter) }
    }

    @Test func requestsAreCountedByDialectRouteMethodStatusAndRegion() async throws {
        try await withMetrics { client, _ in
            try await client.createToken()
            try await client.createToken()
            _ = try await client.call(.get, tokensPath() + "/00000000-0000-4000-8000-00000000dead")
            let scraped = try await Scrape(client)
            #expect(
                scraped[
                    "tokend_http_requests_total", dialect: "cockpit", route: tokensPath(), method: "POST", status: "200", region: "fr-par"]
                    == 2)
            #expect(
                scraped[
                    "tokend_http_request_duration_seconds_count", dialect: "cockpit", route: tokensPath(), method: "POST", status: "200",
                    region: "fr-par"] == 2)
            let missing = scraped.series("tokend_http_requests_total").filter { $0.labels["status"] == "404" }
            #expect(missing.count == 1)
            // The route is the template, not the path with the token's id in it.
            #expect(missing.first?.labels["route"]?.contains("dead") == false)
            #expect(missing.first?.labels["region"] == "fr-par")
        }
    }

    @Test func verifyOutcomesAndTheCredentialCacheAreCounted() async throws {
        try await withMetrics { client, _ in
            let created = try await client.createToken(project: projectA, scopes: ["read_only_metrics"])
            let secret = try #require(created["secret_key"] as? String)
            let allowed = keyVerifyHeaders(secret, tenant: projectA, uri: "/prometheus/api/v1/query", method: "GET")
            #expect(try await client.call(.get, "/_tokend/verify", headers: allowed).status == .ok)
            #expect(try await client.call(.get, "/_tokend/verify", headers: allowed).status == .ok)
            let wrongTenant = keyVerifyHeaders(secret, tenant: projectB, uri: "/prometheus/api/v1/query", method: "GET")
            #expect(try await client.call(.get, "/_tokend/verify", headers: wrongTenant).status == .forbidden)
            let unknown = keyVerifyHeaders(SecretFormat.generate(region: RegionName("fr-par")!), tenant: projectA)
            #expect(try await client.call(.get, "/_tokend/verify", headers: unknown).status == .unauthorized)

            let scraped = try await Scrape(client)
            #expect(scraped["tokend_verify_total", ["region": "fr-par", "outcome": "allowed"]] == 2)
            #expect(scraped["tokend_verify_total", ["region": "fr-par", "outcome": "tenant"]] == 1)
            #expect(scraped["tokend_verify_total", ["region": "fr-par", "outcome": "unknown"]] == 1)
            // The first check read the store; the next two found the secret in the cache.
            #expect(scraped["tokend_credential_cache_lookups_total", ["region": "fr-par", "result": "miss"]] == 2)
            #expect(scraped["tokend_credential_cache_lookups_total", ["region": "fr-par", "result": "hit"]] == 2)
            let verifies = scraped.series("tokend_http_requests_total").filter { $0.labels["route"] == "/_tokend/verify" }
            #expect(Set(verifies.map { $0.labels["status"] ?? "" }) == ["200", "403", "401"])
            #expect(verifies.allSatisfy { $0.labels["dialect"] == "data_plane" && $0.labels["region"] == "fr-par" })
            // Labels name no token, project or secret.
            for text in [secret, projectA, projectB, created["id"] as? String ?? "?"] { #expect(!scraped.text.contains(text)) }
        }
    }

    @Test func rateLimitRefusalsAreCountedByWhatWasLimited() async throws {
        try await withMetrics(limits: RateLimits(perToken: 1, perTenant: nil)) { client, _ in
            let created = try await client.createToken(project: projectA, scopes: ["write_only_metrics"])
            let headers = keyVerifyHeaders(try #require(created["secret_key"] as? String), tenant: projectA)
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<3 { statuses.append(try await client.call(.post, "/_tokend/verify", headers: headers).status) }
            #expect(statuses.contains(.tooManyRequests))
            let refused = statuses.filter { $0 == .tooManyRequests }.count
            let scraped = try await Scrape(client)
            #expect(scraped["tokend_rate_limit_refusals_total", ["region": "fr-par", "limit": "token"]] == Double(refused))
            #expect(scraped["tokend_verify_total", ["region": "fr-par", "outcome": "rate_limited"]] == Double(refused))
        }
    }

    @Test func storeOperationsAndCommitsAreMeasured() async throws {
        try await withMetrics { client, _ in
            for _ in 0..<3 { try await client.createToken(region: "nl-ams") }
            _ = try await client.count(region: "nl-ams")
            let scraped = try await Scrape(client)
            #expect(scraped["tokend_store_operation_duration_seconds_count", ["region": "nl-ams", "operation": "create_token"]] == 3)
            #expect(scraped["tokend_store_operation_duration_seconds_count", ["region": "nl-ams", "operation": "list_tokens"]] == 1)
            #expect(scraped["tokend_store_errors_total", ["region": "nl-ams", "operation": "create_token"]] == 0)
            // Three creates one after the other: three commits of one write each.
            #expect(scraped["tokend_store_commit_batch_size_count", ["region": "nl-ams"]] == 3)
            #expect(scraped["tokend_store_commit_batch_size_sum", ["region": "nl-ams"]] == 3)
            #expect(scraped["tokend_store_commit_duration_seconds_count", ["region": "nl-ams"]] == 3)
            // An operation's histogram appears with its first use; its error counter is there from the start.
            #expect(scraped["tokend_store_operation_duration_seconds_count", ["region": "fr-par", "operation": "create_token"]] == nil)
            #expect(scraped["tokend_store_errors_total", ["region": "fr-par", "operation": "create_token"]] == 0)
        }
    }

    @Test func anEmptyPageIsOneListOperation() async throws {
        try await withMetrics { client, _ in
            #expect(try await client.count(region: "pl-waw") == 0)
            let scraped = try await Scrape(client)
            #expect(scraped["tokend_store_operation_duration_seconds_count", ["region": "pl-waw", "operation": "list_tokens"]] == 1)
        }
    }

    @Test func aCallersMistakeIsNotAStoreError() async throws {
        try await withMetrics { client, _ in
            let notAStore = Data("not a database".utf8).base64EncodedString()
            let answer = try await client.call(
                .put, "/_tokend/state?region=fr-par", headers: [.contentType: "application/json"],
                body: #"{"region": "fr-par", "image": "\#(notAStore)"}"#)
            #expect(answer.status == .badRequest)
            let scraped = try await Scrape(client)
            // Timed, but not counted as the storage trouble tokend_store_errors_total alerts on.
            #expect(scraped["tokend_store_operation_duration_seconds_count", ["region": "fr-par", "operation": "import_image"]] == 1)
            #expect(scraped["tokend_store_errors_total", ["region": "fr-par", "operation": "import_image"]] == 0)
        }
    }

    @Test func theProcessIsDescribed() async throws {
        try await withMetrics { client, _ in
            let scraped = try await Scrape(client)
            #expect((scraped["process_resident_memory_bytes", [:]] ?? 0) > 1_000_000)
            #expect((scraped["process_open_fds", [:]] ?? 0) > 2)
            #expect((scraped["process_cpu_seconds_total", [:]] ?? 0) > 0)
            let started = try #require(scraped["process_start_time_seconds", [:]])
            #expect(abs(started - Date().timeIntervalSince1970) < 86_400)
        }
    }

    @Test func anUnknownRegionOrPathIsNotALabel() async throws {
        try await withMetrics { client, _ in
            _ = try await client.call(.get, "/cockpit/v1/regions/zz-zzz/tokens")
            _ = try await client.call(.get, "/no/such/path/0123456789")
            let scraped = try await Scrape(client)
            #expect(!scraped.text.contains("zz-zzz"))
            #expect(!scraped.text.contains("0123456789"))
        }
    }

    @Test func withoutAnExporterThereIsNoMetricsEndpoint() async throws {
        try await TestServer().run { client in
            let answer = try await client.call(.get, "/metrics")
            #expect(answer.status == .notFound)
            #expect(answer.headers[.contentType] == "application/json")
        }
    }

    @Test func aGatewayMeasuresEachRemoteRegion() async throws {
        let exporter = MetricsExporter()
        let regionServer = try await TestServer()
        try await TestServer.application(regionServer.regionFrontDoor).test(.live) { live in
            let remotes = [
                RemoteRegionBackend(
                    region: RegionName("fr-par")!, baseURL: "http://127.0.0.1:\(live.port!)", connectTimeoutMilliseconds: 5_000,
                    readTimeoutMilliseconds: 5_000, metrics: exporter.factory),
                RemoteRegionBackend(
                    region: RegionName("nl-ams")!, baseURL: "http://127.0.0.1:\(try unusedPort())", connectTimeoutMilliseconds: 5_000,
                    readTimeoutMilliseconds: 5_000, metrics: exporter.factory),
            ]
            let gateway = FrontDoor(backends: remotes, access: .open, metrics: exporter)
            try await TestServer.application(gateway).test(.router) { client in
                // Before any exchange nothing is known of a region: no gauge rather than a 0.
                #expect(try await Scrape(client)["tokend_upstream_up", [:]] == nil)
                try await client.createToken(region: "fr-par")
                #expect(try await client.call(.get, tokensPath("nl-ams")).status == .serviceUnavailable)
                let scraped = try await Scrape(client)
                #expect(scraped["tokend_upstream_up", ["region": "fr-par"]] == 1)
                #expect(scraped["tokend_upstream_duration_seconds_count", ["region": "fr-par"]] == 1)
                #expect(scraped["tokend_upstream_up", ["region": "nl-ams"]] == 0)
                #expect(scraped["tokend_upstream_errors_total", ["region": "nl-ams", "error": "connection"]] == 1)
                #expect(
                    scraped["tokend_http_requests_total", ["dialect": "cockpit", "method": "GET", "status": "503", "region": "nl-ams"]] == 1
                )
            }
        }
    }
}

/// One scrape of `/metrics`, parsed: each sample's name, labels and value.
struct Scrape {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let text: String
    let samples: [Sample]

    init(_ client: any TestClientProtocol) async throws {
        let answer = try await client.call(.get, "/metrics")
        guard answer.status == .ok, answer.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true else {
            throw TestFailure("/metrics answered \(answer.status) \(answer.headers[.contentType] ?? "")")
        }
        text = answer.text
        samples = try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(Self.sample)
    }

    /// `name{a="x",b="y"} 1.0`: label values here never hold quotes, commas or braces.
    private static func sample(_ line: Substring) throws -> Sample {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            throw TestFailure("not a sample: \(line)")
        }
        let series = line[..<space]
        guard let open = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
        var labels: [String: String] = [:]
        for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return Sample(name: String(series[..<open]), labels: labels, value: value)
    }

    func series(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    /// The value of the one sample of `name` whose labels include `labels`, summed if several.
    subscript(_ name: String, _ labels: [String: String]) -> Double? {
        let matching = series(name).filter { sample in labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    subscript(
        _ name: String, dialect dialect: String, route route: String, method method: String, status status: String, region region: String
    )
        -> Double?
    {
        self[name, ["dialect": dialect, "route": route, "method": method, "status": status, "region": region]]
    }
}
