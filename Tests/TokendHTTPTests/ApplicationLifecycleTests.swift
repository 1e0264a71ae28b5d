import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing
import TokendCore
import TokendStore

@testable import TokendHTTP

/// What a region holds open belongs to the application's service group: stopping the
/// application closes it, and so does a server that fails to start.
@Suite struct ApplicationLifecycleTests {
    let region = RegionName("fr-par")!

    /// A region on a store file in a fresh folder, with one token written (so its
    /// write-ahead log exists until the store is closed).
    func fileRegion() async throws -> (backend: LocalRegionBackend, walPath: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokend-lifecycle-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/\(region).sqlite"
        let service = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: TestServer.hasher)
        let origin = RequestOrigin(principal: try ManagementAccess.open.authenticate(key: "lifecycle"), requestID: nil)
        _ = try await service.create(
            CreateTokenRequest(projectID: ProjectID(projectA)!, name: nil, scopes: TokenScopes([.readOnlyLogs])),
            by: origin)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        return (LocalRegionBackend(service: service, access: .open), path + "-wal")
    }

    /// The service group names every service `"\(service)"`; each of ours says what it is
    /// instead of being walked by reflection (what that cost a start is in ServerOptions.serve).
    @Test func eachServiceNamesItself() async throws {
        let (backend, _) = try await fileRegion()
        let remote = RemoteRegionBackend(
            region: region, baseURL: "http://127.0.0.1:9", connectTimeoutMilliseconds: 100, readTimeoutMilliseconds: 100)
        let names = (backend.services(logger: Logger(label: "test")) + remote.services(logger: Logger(label: "test"))).map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0).serviceName
        }
        #expect(names == ["the fr-par store", "verify usage flushes", "a remote region's connections"])
        try await backend.service.close()
    }

    @Test func stoppingTheApplicationClosesEachRegionStore() async throws {
        let (backend, walPath) = try await fileRegion()
        try await TestServer.application(FrontDoor(backends: [backend], access: .open)).test(.router) { client in
            let total = try await client.count()
            #expect(total == 1)
            #expect(FileManager.default.fileExists(atPath: walPath))
        }
        #expect(!FileManager.default.fileExists(atPath: walPath))
    }

    @Test func aServerThatCannotListenStillClosesTheStores() async throws {
        let (backend, walPath) = try await fileRegion()
        try await TestServer.application(FrontDoor(backends: [], access: .open)).test(.live) { occupying in
            // The same port as a server already listening: this one fails to start.
            let blocked = buildApplication(
                frontDoor: FrontDoor(backends: [backend], access: .open),
                listen: ListenSettings(host: "127.0.0.1", port: occupying.port!),
                logger: Logger(label: "tokend-test"))
            await #expect(throws: (any Error).self) { try await blocked.runService(gracefulShutdownSignals: []) }
        }
        #expect(!FileManager.default.fileExists(atPath: walPath))
    }

    @Test func aRemoteRegionsConnectionsAreClosedWithTheGroup() async throws {
        try await TestServer.application(FrontDoor(backends: [], access: .open)).test(.live) { region in
            let pool = try #require(HTTP1ConnectionPool(baseURL: "http://127.0.0.1:\(region.port!)", connectTimeout: .seconds(5)))
            let answer = try await pool.exchange(UpstreamRequest(.GET, "/_tokend/ping"), within: .seconds(5), answerLimit: 1 << 16)
            #expect(answer.status == .ok)
            #expect(pool.idleConnections == 1)
            let group = ServiceGroup(
                configuration: .init(services: [UpstreamTransportService(transport: pool)], logger: Logger(label: "tokend-test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(pool.idleConnections == 0)
            // Shut down: no new connection is opened.
            await #expect(throws: UpstreamFailure.self) {
                try await pool.exchange(UpstreamRequest(.GET, "/_tokend/ping"), within: .seconds(5), answerLimit: 1 << 16)
            }
        }
    }
}
