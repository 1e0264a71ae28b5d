import Foundation
import GRDB
import Testing
import TokendCore
import TokendTestSupport

@testable import TokendStore

/// A list's total_count comes from counts the stores' triggers keep (SQLite v6, PostgreSQL 2),
/// not from counting rows: these compare it with the tokens there are as they come and go.
@Suite struct ProjectTokenCountTests: StoreTesting {
    let projectA = ProjectID("aaaaaaaa-0000-4000-8000-00000000000a")!
    let projectB = ProjectID("bbbbbbbb-0000-4000-8000-00000000000b")!
    let projectC = ProjectID("cccccccc-0000-4000-8000-00000000000c")!

    @Test(arguments: TestStore.available)
    func aProjectsTotalStaysExactAsTokensComeAndGo(store kind: TestStore) async throws {
        let store = try await kind.open(region)
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        var madeInA: [TokenID] = []
        for _ in 0..<5 { madeInA.append(try await create(in: projectA, service).id) }
        for _ in 0..<3 { _ = try await create(in: projectB, service, scopes: [.readOnlyLogs, .writeOnlyMetrics]) }
        for id in madeInA.prefix(2) { try await service.delete(id: id.rawValue, by: origin) }

        #expect(try await total(service, project: projectA) == 3)
        #expect(try await total(service, project: projectB) == 3)
        #expect(try await total(service, project: projectC) == 0)
        #expect(try await total(service) == 6)
        // With a scope filter too, the rows are counted: only B's tokens hold logs reads.
        #expect(try await total(service, project: projectB, scopes: ["read_only_logs"]) == 3)
        #expect(try await total(service, project: projectA, scopes: ["read_only_logs"]) == 0)
        // A key limited to some projects sees the sum of theirs, and as many tokens as that.
        let limited = ManagementPrincipal(keyPrefix: "limited", projects: .only([projectA, projectB, projectC]), identity: "limited")
        let page = try await service.list(ListArguments(), by: limited)
        #expect(page.totalCount == 6 && page.tokens.count == 6)

        for id in madeInA.dropFirst(2) { try await service.delete(id: id.rawValue, by: origin) }
        #expect(try await total(service, project: projectA) == 0)
        _ = try await create(in: projectA, service)
        #expect(try await total(service, project: projectA) == 1)

        // A snapshot brings its counts back, and the test-only reset forgets them with the rows.
        let image = try await store.exportImage()
        try await store.removeAll()
        #expect(try await total(service, project: projectB) == 0)
        _ = try await create(in: projectB, service)
        #expect(try await total(service, project: projectB) == 1)
        try await store.importImage(image)
        #expect(try await total(service, project: projectA) == 1)
        #expect(try await total(service, project: projectB) == 3)
        try await service.close()
    }

    @Test func theKeptCountsAreWhatCountingTheRowsFinds() async throws {
        let path = try storePath()
        let service = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: hasher)
        var made: [TokenID] = []
        for project in [projectA, projectB, projectA, projectC, projectB] { made.append(try await create(in: project, service).id) }
        for id in [made[0], made[2], made[3]] { try await service.delete(id: id.rawValue, by: origin) }
        try await service.close()
        let probe = try DatabaseQueue(path: path)
        try await probe.read { db in
            let kept = try Row.fetchAll(db, sql: "SELECT project_id, tokens FROM project_token_count WHERE tokens > 0 ORDER BY project_id")
            let counted = try Row.fetchAll(
                db, sql: "SELECT project_id, COUNT(*) AS tokens FROM token GROUP BY project_id ORDER BY project_id")
            #expect(kept == counted)
            #expect(kept.map { $0[0] as String } == [projectB.rawValue])
            // A project whose tokens are all gone keeps its row, at 0.
            #expect(
                try Int.fetchOne(db, sql: "SELECT tokens FROM project_token_count WHERE project_id = ?", arguments: [projectA.rawValue])
                    == 0)
        }
    }

    @Test func aStoreMadeBeforeTheCountsIsCountedWhenItOpens() async throws {
        let path = try storePath()
        do {
            let older = try DatabaseQueue(path: path)
            try TokenStoreMigrations.migrator.migrate(older, upTo: "v5: xScaler tenants, revoked keys, traffic, portal audit fields")
            try await older.write { db in
                for (index, project) in [projectA, projectA, projectB].enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO token (id, project_id, name, created_at, updated_at, scopes, secret_hash, secret_prefix)
                            VALUES (?, ?, 'older', 1, 1, 1, ?, 'tkd_')
                            """,
                        arguments: ["0000000\(index)-0000-4000-8000-000000000000", project.rawValue, Data([UInt8(index)])])
                }
            }
        }
        let service = RegionTokenService(region: region, store: try SQLiteTokenStore(region: region, path: path), hasher: hasher)
        #expect(try await total(service, project: projectA) == 2)
        #expect(try await total(service, project: projectB) == 1)
        _ = try await create(in: projectB, service)
        #expect(try await total(service, project: projectB) == 2)
        try await service.close()
    }

    private func create(in project: ProjectID, _ service: RegionTokenService, scopes: Set<TokenScope> = [.writeOnlyMetrics]) async throws
        -> Token
    {
        try await service.create(CreateTokenRequest(projectID: project, name: nil, scopes: TokenScopes(scopes)), by: origin).token
    }

    private func total(_ service: RegionTokenService, project: ProjectID? = nil, scopes: [String] = []) async throws -> Int {
        var arguments = ListArguments()
        arguments.projectID = project.map { [$0.rawValue] } ?? []
        arguments.tokenScopes = scopes
        return try await service.list(arguments, by: caller).totalCount
    }
}
