import HTTPTypes
import Logging
import Testing
import TokendStore

@testable import TokendCore
@testable import TokendHTTP

/// Which requests a gateway's channel relay answers itself: plain requests of a remote
/// region reached over plain HTTP. Every other one must reach the router, which answers it
/// as it always has.
@Suite struct ChannelRelayTests {
    let frontDoor: FrontDoor
    let relay: ChannelRelay

    init() throws {
        let local = try LocalRegionBackend.inMemory("fr-par")
        let remote = RemoteRegionBackend(
            region: RegionName("nl-ams")!, baseURL: "http://127.0.0.1:1", connectTimeoutMilliseconds: 100,
            readTimeoutMilliseconds: 100)
        frontDoor = FrontDoor(backends: [local, remote], access: .open)
        relay = try #require(ChannelRelay(frontDoor: frontDoor, logger: Logger(label: "test")))
    }

    func target(_ method: HTTPRequest.Method = .get, _ path: String, _ fields: HTTPFields = [:]) -> ChannelRelay.Target? {
        relay.target(for: HTTPRequest(method: method, scheme: "http", authority: "gateway", path: path, headerFields: fields))
    }

    @Test func aRemoteRegionsPlainManagementRequestsAreRelayed() throws {
        let list = try #require(target(.get, "/cockpit/v1/regions/nl-ams/tokens?page=2&project_id=x"))
        #expect(list.backend.region == RegionName("nl-ams"))
        #expect(list.route == "/cockpit/v1/regions/nl-ams/**")
        #expect(!list.isVerify)
        #expect(target(.post, "/cockpit/v1/regions/nl-ams/tokens", [.contentLength: "120"]) != nil)
        #expect(target(.delete, "/cockpit/v1/regions/nl-ams/tokens/0193c3a4-1c2b-7a51-9a63-6f9f7b1b2c3d") != nil)
    }

    @Test func localAndTLSRegionsAndUnusualPathsGoToTheRouter() {
        #expect(target(.get, "/cockpit/v1/regions/fr-par/tokens") == nil)  // served here
        #expect(target(.get, "/cockpit/v1/regions/xx-yyy/tokens") == nil)  // not a region of this gateway
        for path in [
            "/cockpit/v1/regions/nl-ams", "/cockpit/v1/regions/nl-ams/", "/cockpit/v1/regions/nl-ams/tokens/",
            "/cockpit/v1/regions/nl-ams//tokens", "/cockpit/v1/regions/nl%2Dams/tokens", "/cockpit/v1/regions/nl-ams/./tokens",
            "/cockpit/v1/regions/nl-ams/tokens/%2e%2e", "/Cockpit/v1/regions/nl-ams/tokens", "/_tokend/ping",
        ] {
            #expect(target(.get, path) == nil, "\(path)")
        }
        #expect(target(.head, "/cockpit/v1/regions/nl-ams/tokens") == nil)
        #expect(target(.options, "/cockpit/v1/regions/nl-ams/tokens") == nil)
    }

    @Test func onlyBodiesFramedByALengthWithinTheLimitAreRelayed() {
        let path = "/cockpit/v1/regions/nl-ams/tokens"
        #expect(target(.post, path, [.contentLength: String(RequestLimits.bodyBytes)]) != nil)
        #expect(target(.post, path, [.contentLength: String(RequestLimits.bodyBytes + 1)]) == nil)
        #expect(target(.post, path, [.contentLength: "ten"]) == nil)
        #expect(target(.post, path, [.transferEncoding: "chunked"]) == nil)
        #expect(target(.post, path, [.contentLength: "12", .expect: "100-continue"]) == nil)
    }

    @Test func verifyIsRelayedWhenItsSecretNamesARemoteRegion() throws {
        let amsterdam = SecretFormat.generate(region: RegionName("nl-ams")!)
        let relayed = try #require(target(.get, "/_tokend/verify?mode=nginx", [.authorization: "Bearer \(amsterdam)"]))
        #expect(relayed.isVerify)
        #expect(relayed.route == "/_tokend/verify")
        #expect(relayed.backend.region == RegionName("nl-ams"))
        #expect(target(.post, "/_tokend/verify", [.authorization: "bearer \(amsterdam)"]) != nil)
        // Refusals without a lookup, other regions, xScaler keys' routing and HEAD stay the router's.
        #expect(target(.get, "/_tokend/verify") == nil)
        #expect(target(.get, "/_tokend/verify", [.authorization: "Basic \(amsterdam)"]) == nil)
        #expect(target(.get, "/_tokend/verify", [.authorization: "Bearer \(SecretFormat.generate(region: RegionName("fr-par")!))"]) == nil)
        #expect(target(.get, "/_tokend/verify", [.authorization: "Bearer \(XScalerKeyFormat.generate())"]) == nil)
        #expect(target(.head, "/_tokend/verify", [.authorization: "Bearer \(amsterdam)"]) == nil)
    }

    @Test func aFaultRuleInForceSendsEveryRequestToTheRouter() throws {
        let fakeCloud = try #require(frontDoor.fakeCloud)
        let path = "/cockpit/v1/regions/nl-ams/tokens"
        #expect(target(.get, path) != nil)
        _ = fakeCloud.faults.add(
            FaultRule.Request(
                region: nil, dialect: nil, operation: "create", effect: .status(503, retryAfterSeconds: nil), probability: 1, count: nil))
        #expect(target(.get, path) == nil)
        fakeCloud.faults.removeAll()
        #expect(target(.get, path) != nil)
    }

    /// `https://` regions go through AsyncHTTPClient, which brings TLS, and so the router.
    @Test func regionsOverTLSAreNotRelayed() async throws {
        let overTLS = RemoteRegionBackend(
            region: RegionName("pl-waw")!, baseURL: "https://127.0.0.1:1", connectTimeoutMilliseconds: 100,
            readTimeoutMilliseconds: 100)
        let mixed = try #require(
            ChannelRelay(
                frontDoor: FrontDoor(backends: Array(frontDoor.backends.values) + [overTLS], access: .open), logger: Logger(label: "test")))
        let onlyTLS = ChannelRelay(frontDoor: FrontDoor(backends: [overTLS], access: .open), logger: Logger(label: "test"))
        // Its client closed as the application's service group would.
        let services = Task { for service in overTLS.services(logger: Logger(label: "test")) { try? await service.run() } }
        services.cancel()
        await services.value
        #expect(onlyTLS == nil)
        let request = HTTPRequest(
            method: .get, scheme: "http", authority: "gateway", path: "/cockpit/v1/regions/pl-waw/tokens", headerFields: [:])
        #expect(mixed.target(for: request) == nil)
    }
}
