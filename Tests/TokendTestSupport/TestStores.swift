import Foundation
import Metrics
import Synchronization
import TokendCore
import TokendStore

/// The stores suites run over: SQLite in memory, always; PostgreSQL as well when
/// `TOKEND_TEST_POSTGRESQL` names a server (`postgresql://postgres@127.0.0.1:PORT/postgres`;
/// scripts/test starts a throwaway one). Each PostgreSQL store opened here is in schemas of its
/// own, so tests running at once never see each other's rows.
package enum TestStore: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgresql

    package static let postgreSQLServer: PostgreSQLLocation? = ProcessInfo.processInfo.environment["TOKEND_TEST_POSTGRESQL"]
        .flatMap { PostgreSQLLocation(url: $0) }

    /// Every store this run can test.
    package static var available: [TestStore] { postgreSQLServer == nil ? [.sqlite] : [.sqlite, .postgresql] }

    /// The store the HTTP suites run over: PostgreSQL when there is a server, else SQLite.
    package static var preferred: TestStore { postgreSQLServer == nil ? .sqlite : .postgresql }

    package var description: String { rawValue }

    /// A new empty store of this kind for `region`. `sharing`: open another instance's view
    /// of the same PostgreSQL schemas (the name `schemas` returned), as a second tokend would.
    package func open(
        _ region: RegionName, metrics: any MetricsFactory = NOOPMetricsHandler.instance, schemas: String? = nil,
        credentialLifetime: Duration = .seconds(2)
    ) async throws -> any TokenStore & TenantStore {
        switch self {
        case .sqlite: return try SQLiteTokenStore.inMemory(region: region, metrics: metrics)
        case .postgresql:
            guard let server = Self.postgreSQLServer else { throw MissingServer() }
            // Hundreds of tests start at once; a few opens (a connection and a migration each)
            // at a time finish sooner than all of them fighting for two cores.
            return try await Self.opening.oneAtATime {
                try await PostgreSQLTokenStore.open(
                    region: region, at: server,
                    settings: Self.settings(schemas: schemas ?? Self.newSchemaPrefix(), credentialLifetime: credentialLifetime),
                    metrics: metrics)
            }
        }
    }

    /// A prefix no other test uses: `t<8 hex>_`.
    package static func newSchemaPrefix() -> String { "t" + UUID().uuidString.lowercased().prefix(8) + "_" }

    /// Small pools: a test process opens hundreds of stores, a few at once.
    package static func settings(schemas: String, credentialLifetime: Duration = .seconds(2)) -> PostgreSQLStoreSettings {
        PostgreSQLStoreSettings(poolSize: 2, timeout: .seconds(20), credentialLifetime: credentialLifetime, schemaPrefix: schemas)
    }

    private static let opening = FewAtATime(limit: 4)

    /// How many test servers may have PostgreSQL stores open at once: each holds a few
    /// connections until it stops, and the server takes a few hundred in all.
    private static let serversAlive = FewAtATime(limit: 16)

    /// A test server's place among those with PostgreSQL stores open (none for SQLite).
    package final class ServerSlot: Sendable {
        private let held = Mutex(true)

        /// Waits for a place when the suites run over PostgreSQL; nil otherwise.
        package static func take() async throws -> ServerSlot? {
            guard preferred == .postgresql else { return nil }
            await serversAlive.acquire()
            return ServerSlot()
        }

        /// Once, however often it is called (a server may run twice).
        package func giveBack() async {
            guard
                held.withLock({ held in
                    defer { held = false }
                    return held
                })
            else { return }
            await TestStore.serversAlive.release()
        }
    }

    struct MissingServer: Error, CustomStringConvertible {
        var description: String { "TOKEND_TEST_POSTGRESQL names no PostgreSQL server" }
    }
}

/// At most `limit` holders at once; the others wait their turn, in order.
package actor FewAtATime {
    private let limit: Int
    private var holders = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    package init(limit: Int) { self.limit = limit }

    package func acquire() async {
        if holders >= limit {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            holders += 1
        }
    }

    /// Hands the place to the first waiting, if any.
    package func release() {
        if waiting.isEmpty { holders -= 1 } else { waiting.removeFirst().resume() }
    }

    package func oneAtATime<Value: Sendable>(_ body: @Sendable () async throws -> Value) async throws -> Value {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}
