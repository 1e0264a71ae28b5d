import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing
import TokendCore
import TokendTestSupport

@testable import TokendStore

/// The PostgreSQL store over a real server (`TOKEND_TEST_POSTGRESQL`): what sharing a region
/// between instances needs (one schema seen by several stores, announcements, migrations at
/// once, constraints across instances), snapshots moving between stores, an unreachable
/// database, and text ordering. Skipped when no server is named.
@Suite(.enabled(if: TestStore.postgreSQLServer != nil))
struct PostgreSQLTokenStoreTests: StoreTesting {
    static let projectA = ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!
    static let projectB = ProjectID("bbbbbbbb-0000-4000-8000-000000000002")!
    static let acme = OrganizationID.derived(fromName: "Acme")
    static let push = DataOperation(signal: .metrics, action: .push)

    // MARK: One region, two instances

    @Test func aTokenInsertedThroughOneInstanceIsReadListedAndFoundThroughAnother() async throws {
        let (a, b) = try await twoInstances()
        let shared = newToken("shared", project: Self.projectA)
        let other = newToken("other", project: Self.projectB)
        for made in [shared, other] { try await a.insert(made.stored, activity: created(made.stored.token), idempotency: nil) }

        #expect(try await b.token(id: shared.id) == shared.stored.token)
        // Unfiltered, the total is token_count's (kept by the triggers on A's inserts).
        let all = try await b.list(TokenListQuery(projects: .all))
        #expect(all.totalCount == 2)
        #expect(Set(all.tokens.map(\.id)) == [shared.id, other.id])
        let filtered = try await b.list(TokenListQuery(projects: .only([Self.projectA])))
        #expect(filtered.totalCount == 1)
        #expect(filtered.tokens == [shared.stored.token])
        let credential = try #require(try await b.credential(secretHash: hasher.hash(shared.secret)))
        #expect(credential.tokenID == shared.id)
        #expect(credential.projectID == Self.projectA)
        #expect(credential.scopes == shared.stored.token.scopes)
        #expect(credential.tenantID == nil)

        // A delete through B counts down for A too.
        #expect(try await b.delete(id: other.id, visibleTo: .all, activity: revoked)?.id == other.id)
        #expect(try await a.list(TokenListQuery(projects: .all)).totalCount == 1)
        #expect(try await a.token(id: other.id) == nil)
        #expect(try await a.credential(secretHash: hasher.hash(other.secret)) == nil)
        try await a.close()
        try await b.close()
    }

    @Test func changesThroughOneInstanceAreAnnouncedToTheOtherAndNotToItself() async throws {
        let (a, b) = try await twoInstances()
        let heardByA = ChangeLog()
        let heardByB = ChangeLog()
        a.observeCredentialChanges { heardByA.record($0) }
        b.observeCredentialChanges { heardByB.record($0) }
        // Each listener connects in the background after open: wait until both hear the other.
        try await awaitListening(heardByB, announcementsThrough: a)
        try await awaitListening(heardByA, announcementsThrough: b)

        let doomed = newToken("doomed")
        let rotatedByA = newToken("rotated-by-a")
        let rotatedByB = newToken("rotated-by-b")
        let revokedByA = newToken("revoked-by-a", project: Self.projectB)
        for made in [doomed, rotatedByA, rotatedByB, revokedByA] {
            try await a.insert(made.stored, activity: created(made.stored.token), idempotency: nil)
        }
        var owner = Tenant(
            id: TenantID("xs_acme_aaaaaaaa")!, projectID: .random(), organizationID: Self.acme, displayName: "Payments",
            environment: "prod", region: region, createdAt: .now())
        try await a.insert(owner, activity: tenantRecord(.tenantCreated, owner))
        heardByA.clear()
        heardByB.clear()

        _ = try #require(try await a.delete(id: doomed.id, visibleTo: .all, activity: revoked))
        #expect(await heardByB.hears(.token(doomed.id), within: .seconds(2)), "B heard \(heardByB.changes)")

        // B's rotation reaches A; notifications arrive in commit order, so had A been told of its
        // own delete, it would have heard that first.
        _ = try #require(try await rotate(rotatedByB.id, through: b))
        #expect(await heardByA.hears(.token(rotatedByB.id), within: .seconds(2)), "A heard \(heardByA.changes)")
        #expect(!heardByA.changes.contains(.token(doomed.id)), "A heard its own delete: \(heardByA.changes)")

        heardByB.clear()
        _ = try #require(try await rotate(rotatedByA.id, through: a))
        #expect(await heardByB.hears(.token(rotatedByA.id), within: .seconds(2)), "B heard \(heardByB.changes)")

        heardByB.clear()
        let revokedAt = Timestamp.now()
        _ = try #require(try await a.revoke(id: revokedByA.id, of: Self.projectB, at: revokedAt, activity: revoked))
        #expect(await heardByB.hears(.token(revokedByA.id), within: .seconds(2)), "B heard \(heardByB.changes)")

        // A suspension changes what verify answers for every key of the tenant: everything is forgotten.
        heardByB.clear()
        owner.status = .suspended
        let suspended = owner
        let written = try await a.update(owner.id) { _ in (suspended, tenantRecord(.tenantSuspended, suspended)) }
        #expect(written == suspended)
        #expect(await heardByB.hears(.all, within: .seconds(2)), "B heard \(heardByB.changes)")

        heardByB.clear()
        try await a.delete(owner, at: .now(), activity: tenantRecord(.tenantDeleted, owner))
        #expect(await heardByB.hears(.all, within: .seconds(2)), "B heard \(heardByB.changes)")

        heardByB.clear()
        try await a.removeAll()
        #expect(await heardByB.hears(.all, within: .seconds(2)), "B heard \(heardByB.changes)")

        // A last change through B: by the time A hears it, A would have heard any of its own
        // announcements (the rotation, revoke, suspension, deletion and reset above).
        let probe = newToken("last-probe")
        try await b.insert(probe.stored, activity: created(probe.stored.token), idempotency: nil)
        _ = try #require(try await rotate(probe.id, through: b))
        #expect(await heardByA.hears(.token(probe.id), within: .seconds(2)), "A heard \(heardByA.changes)")
        let own: [CredentialChange] = [.token(doomed.id), .token(rotatedByA.id), .token(revokedByA.id), .all]
        #expect(heardByA.changes.allSatisfy { !own.contains($0) }, "A heard its own: \(heardByA.changes)")
        try await a.close()
        try await b.close()
    }

    // MARK: Verify across instances

    @Test func aTokenDeletedOnOneInstanceStopsVerifyingOnTheOtherByItsAnnouncement() async throws {
        // A minute's lifetime: within this test, only an announcement can make B forget.
        let (a, b) = try await twoInstances(credentialLifetime: .seconds(60))
        let serviceA = RegionTokenService(region: region, store: a, hasher: hasher)
        let serviceB = RegionTokenService(region: region, store: b, hasher: hasher)
        let request = CreateTokenRequest(projectID: Self.projectA, name: TokenName("shared"), scopes: TokenScopes([.writeOnlyMetrics]))
        try await awaitListening(serviceB, changesThrough: serviceA, request: request)

        // A token deleted behind both stores' backs (nothing announced) still verifies on B:
        // B answers from its cache, so a refusal below is B having been told.
        let unannounced = try await serviceA.create(request, by: origin)
        _ = try await verify(unannounced.secret, on: serviceB)
        try await deleteSilently(unannounced.token.id, in: b.schema)
        #expect(try await verify(unannounced.secret, on: serviceB).tokenID == unannounced.token.id)

        let issued = try await serviceA.create(request, by: origin)
        let access = try await verify(issued.secret, on: serviceB)
        #expect(access.tokenID == issued.token.id)
        #expect(access.projectID == Self.projectA)
        #expect(access.scope == .writeOnlyMetrics)
        #expect(access.tenant == Self.projectA.rawValue)
        #expect(try await verify(issued.secret, on: serviceB).tokenID == issued.token.id)

        try await serviceA.delete(id: issued.token.id.rawValue, by: origin)
        let refused = await eventually(within: .seconds(2)) { (try? await verify(issued.secret, on: serviceB)) == nil }
        #expect(refused, "B still verifies a token deleted on A 2 s ago")
        await #expect(throws: TokendError.authenticationDenied(method: .apiKey, reason: .notFound)) {
            try await verify(issued.secret, on: serviceB)
        }
        // B forgot that one token, not everything (as a reconnecting listener would make it).
        #expect((try? await verify(unannounced.secret, on: serviceB))?.tokenID == unannounced.token.id)
        try await a.close()
        try await b.close()
    }

    @Test func aTokenDeletedWithoutAnnouncementStopsVerifyingWhenItsCredentialLifetimeEnds() async throws {
        let lifetime = Duration.seconds(1)
        let (a, b) = try await twoInstances(credentialLifetime: lifetime)
        let serviceA = RegionTokenService(region: region, store: a, hasher: hasher)
        let serviceB = RegionTokenService(region: region, store: b, hasher: hasher)
        let request = CreateTokenRequest(projectID: Self.projectA, name: TokenName("lifetime"), scopes: TokenScopes([.writeOnlyMetrics]))
        // Connected first, so its first "forget everything" cannot come in the middle.
        try await awaitListening(serviceB, changesThrough: serviceA, request: request)

        let issued = try await serviceA.create(request, by: origin)
        let remembered = ContinuousClock.now
        _ = try await verify(issued.secret, on: serviceB)
        // Deleted with no announcement: the lost-notification case, which only the lifetime bounds.
        try await deleteSilently(issued.token.id, in: b.schema)
        var refusedAt: ContinuousClock.Instant?
        while refusedAt == nil && ContinuousClock.now < remembered + lifetime + .seconds(3) {
            if (try? await verify(issued.secret, on: serviceB)) == nil { refusedAt = .now }
            try await Task.sleep(for: .milliseconds(20))
        }
        let refused = try #require(refusedAt, "B still verifies a deleted token 4 s after reading it")
        #expect(refused - remembered >= lifetime, "forgotten after \(refused - remembered), before the lifetime ended")
        #expect(refused - remembered < lifetime + .milliseconds(1500), "forgotten only after \(refused - remembered)")
        try await a.close()
        try await b.close()
    }

    /// An operator's session (or any client not tokend: its `search_path` is the default one)
    /// deleting a token by its schema-qualified name: the delete works, and token_count,
    /// the unfiltered list's total, follows it.
    @Test func aTokenDeletedFromAnotherSessionIsCounted() async throws {
        let store = try #require(try await TestStore.postgresql.open(region) as? PostgreSQLTokenStore)
        let made = newToken("operator")
        let kept = newToken("kept")
        for token in [made, kept] { try await store.insert(token.stored, activity: created(token.stored.token), idempotency: nil) }
        let schema = store.schema
        await #expect(throws: Never.self) {
            try await withDatabase { connection in
                try await connection.query("DELETE FROM \(unescaped: schema).token WHERE id = \(made.id.rawValue)", logger: Self.logger)
            }
        }
        #expect(try await store.token(id: made.id) == nil)
        #expect(try await store.list(TokenListQuery(projects: .all)).totalCount == 1)
        try await store.close()
    }

    // MARK: Migrations

    @Test func instancesOpeningOneRegionAtOnceMigrateItOnce() async throws {
        let server = try #require(TestStore.postgreSQLServer)
        let settings = TestStore.settings(schemas: TestStore.newSchemaPrefix())
        let region = region
        // Straight to the store, not through TestStore (which opens a few at a time): all five race.
        let stores = try await withThrowingTaskGroup(of: PostgreSQLTokenStore.self) { group in
            for _ in 0..<5 { group.addTask { try await PostgreSQLTokenStore.open(region: region, at: server, settings: settings) } }
            return try await group.reduce(into: [PostgreSQLTokenStore]()) { $0.append($1) }
        }
        #expect(stores.count == 5)
        #expect(try await appliedMigrations(settings.schema(of: region)).map(\.version) == PostgreSQLMigrations.all.map(\.version))
        let made = newToken("raced")
        try await stores[0].insert(made.stored, activity: created(made.stored.token), idempotency: nil)
        for store in stores {
            #expect(try await store.list(TokenListQuery(projects: .all)).totalCount == 1)
            try await store.close()
        }
    }

    @Test func reopeningARegionKeepsItsRowsAndMigratesNothingAgain() async throws {
        let schemas = TestStore.newSchemaPrefix()
        let schema = TestStore.settings(schemas: schemas).schema(of: region)
        let first = try await TestStore.postgresql.open(region, schemas: schemas)
        let kept = newToken("kept")
        try await first.insert(kept.stored, activity: created(kept.stored.token), idempotency: nil)
        let owner = Tenant(
            id: TenantID("xs_acme_aaaaaaaa")!, projectID: .random(), organizationID: Self.acme, displayName: "Payments",
            environment: "prod", region: region, createdAt: .now())
        try await first.insert(owner, activity: tenantRecord(.tenantCreated, owner))
        try await first.close()
        let migrated = try await appliedMigrations(schema)
        #expect(migrated.map(\.version) == PostgreSQLMigrations.all.map(\.version))

        let reopened = try await TestStore.postgresql.open(region, schemas: schemas)
        #expect(try await reopened.token(id: kept.id) == kept.stored.token)
        #expect(try await reopened.list(TokenListQuery(projects: .all)).totalCount == 1)
        #expect(try await reopened.credential(secretHash: hasher.hash(kept.secret))?.tokenID == kept.id)
        #expect(try await reopened.tenant(id: owner.id) == owner)
        #expect(try await reopened.activity(ActivityQuery(projects: .all)).totalCount == 2)
        // The same rows, applied at the same times: nothing ran again.
        #expect(try await appliedMigrations(schema) == migrated)
        try await reopened.close()
    }

    @Test func aSchemaMadeBeforeTheProjectCountsIsCountedWhenItOpens() async throws {
        let schemas = TestStore.newSchemaPrefix()
        let schema = TestStore.settings(schemas: schemas).schema(of: region)
        let first = try await TestStore.postgresql.open(region, schemas: schemas)
        let (projectA, other) = (Self.projectA, Self.projectB)
        for project in [projectA, projectA, other] {
            let made = newToken(project: project)
            try await first.insert(made.stored, activity: created(made.stored.token), idempotency: nil)
        }
        try await first.close()
        // As a tokend before migration 2 left it: no per-project counts, migration 1 only.
        try await withDatabase { connection in
            for statement in [
                "DROP FUNCTION \(schema).project_token_counted() CASCADE", "DROP TABLE \(schema).project_token_count",
                "DELETE FROM \(schema).schema_migrations WHERE version = 2",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
            }
        }
        let reopened = try await TestStore.postgresql.open(region, schemas: schemas)
        #expect(try await reopened.list(TokenListQuery(projects: .only([projectA]))).totalCount == 2)
        #expect(try await reopened.list(TokenListQuery(projects: .only([other]))).totalCount == 1)
        #expect(try await appliedMigrations(schema).map(\.version) == PostgreSQLMigrations.all.map(\.version))
        try await reopened.close()
    }

    @Test func aRegionMigratedByANewerTokendIsRefusedAtOpenNamingItsSchema() async throws {
        let schemas = TestStore.newSchemaPrefix()
        let schema = TestStore.settings(schemas: schemas).schema(of: region)
        try await TestStore.postgresql.open(region, schemas: schemas).close()
        try await withDatabase { connection in
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE \(schema).schema_migrations SET version = 999
                        WHERE version = (SELECT MAX(version) FROM \(schema).schema_migrations)
                        """), logger: Self.logger)
        }

        let refusal = await #expect(throws: (any Error).self) { try await TestStore.postgresql.open(region, schemas: schemas) }
        let error = try #require(refusal)
        #expect(String(describing: error).contains(schema), "the error does not name \(schema): \(error)")
        // The store's own error for it, as it is: not wrapped in the migration transaction's.
        if case .newerSchema(let named, let version)? = error as? TokendStoreError {
            #expect(named == schema)
            #expect(version == 999)
        } else {
            Issue.record("refused with \(String(reflecting: error)), not TokendStoreError.newerSchema")
        }
        // Refused before changing anything.
        #expect(try await appliedMigrations(schema).map(\.version) == PostgreSQLMigrations.all.dropLast().map(\.version) + [999])
    }

    // MARK: Constraints across instances

    @Test func oneIdempotencyKeyUsedThroughTwoInstancesAtOnceMakesOneToken() async throws {
        let (a, b) = try await twoInstances()
        var winners: [TokenID] = []
        for round in 0..<10 {
            let key = try #require(try IdempotencyKey.parse("caller:race-\(round)-\(UUID())"))
            let throughA = newToken("through-a")
            let throughB = newToken("through-b")
            func attempt(_ store: PostgreSQLTokenStore, _ made: MadeToken) async -> (any Error)? {
                let record = IdempotencyRecord(
                    key: key, fingerprint: Array(repeating: 1, count: 32), tokenID: made.id, createdAt: made.stored.token.createdAt)
                do {
                    try await store.insert(made.stored, activity: created(made.stored.token), idempotency: record)
                    return nil
                } catch {
                    return error
                }
            }
            async let failureA = attempt(a, throughA)
            async let failureB = attempt(b, throughB)
            let failures = await [failureA, failureB]
            #expect(failures.filter { $0 == nil }.count == 1, "round \(round): \(failures)")
            guard let failure = failures.compactMap({ $0 }).first, failures.contains(where: { $0 == nil }) else { continue }
            // A lost race is the key's constraint (as a conflict, or the server's unique violation),
            // never the database being away.
            let isConflict: Bool
            if case .conflict? = failure as? TokendError { isConflict = true } else { isConflict = false }
            #expect(
                isConflict || PostgreSQLTokenStore.sqlState(of: failure) == "23505",
                "round \(round): the lost race threw \(String(reflecting: failure))")

            let (winner, loser) = failures[0] == nil ? (throughA, throughB) : (throughB, throughA)
            winners.append(winner.id)
            for store in [a, b] {
                #expect(try await store.idempotencyRecord(key, since: Timestamp(microsecondsSinceEpoch: 0))?.tokenID == winner.id)
                #expect(try await store.token(id: winner.id) != nil)
                // The loser's transaction failed whole: no token, no event.
                #expect(try await store.token(id: loser.id) == nil)
                #expect(try await store.activity(ActivityQuery(projects: .all, tokenID: loser.id)).totalCount == 0)
            }
        }
        #expect(try await a.list(TokenListQuery(projects: .all, paging: Paging(pageSize: 100))).totalCount == winners.count)
        #expect(try await b.activity(ActivityQuery(projects: .all, paging: Paging(pageSize: 100))).totalCount == winners.count)
        try await a.close()
        try await b.close()
    }

    /// Two instances whose batches write tokens of two projects at once, in opposite orders:
    /// every writer takes the single `token_count` row's lock before a project's (its trigger's
    /// name sorts first), so transactions queue on that row but never wait for each other in a
    /// cycle. A deadlock PostgreSQL broke would fail its whole batch (40P01 is answered as the
    /// store being unavailable, not retried a write at a time), and the test with it ("deadlock
    /// detected", seen with the per-project trigger renamed to fire first).
    @Test func twoInstancesWritingSeveralProjectsAtOnceNeverDeadlock() async throws {
        let (a, b) = try await twoInstances()
        let projects = [Self.projectA, Self.projectB]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (instance, store) in [a, b].enumerated() {
                for writer in 0..<6 {
                    group.addTask {
                        for round in 0..<15 {
                            let made = newToken(project: projects[(instance + writer + round) % 2])
                            try await store.insert(made.stored, activity: created(made.stored.token), idempotency: nil)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let page = try await b.list(TokenListQuery(projects: .all, paging: Paging(pageSize: 1)))
        #expect(page.totalCount == 2 * 6 * 15)
        try await a.close()
        try await b.close()
    }

    // MARK: Snapshots

    @Test func aPostgreSQLSnapshotRestoresWholeIntoSQLiteAndPostgreSQL() async throws {
        let source = try await TestStore.postgresql.open(region)
        let made = try await populate(source)
        let expected = try await state(of: source, made)
        // Not a comparison of nothing: every table holds what was made.
        #expect(expected.tokens.totalCount == 3)
        #expect(expected.tenant?.status == .suspended)
        #expect(expected.revokedKey?.revokedAt == made.revokedAt)
        #expect(expected.activity.totalCount == 9)
        #expect(expected.traffic == Traffic(writes: 5, reads: 2, bytesPushed: 500, logBytesPushed: 200))
        #expect(expected.idempotency?.tokenID == made.idempotent)
        #expect(expected.credentials.allSatisfy { $0 != nil })
        let image = try await source.exportImage()

        let sqlite = try SQLiteTokenStore.inMemory(region: region)
        try await sqlite.importImage(image)
        #expect(try await state(of: sqlite, made) == expected)

        let postgresql = try await TestStore.postgresql.open(region)
        try await postgresql.importImage(image)
        #expect(try await state(of: postgresql, made) == expected)
        try await expectWritable(postgresql, after: expected)
        try await source.close()
        try await postgresql.close()
    }

    @Test func anSQLiteSnapshotRestoresWholeIntoPostgreSQLReplacingWhatWasThere() async throws {
        let source = try SQLiteTokenStore.inMemory(region: region)
        let made = try await populate(source)
        let expected = try await state(of: source, made)
        #expect(expected.tokens.totalCount == 3)
        #expect(expected.activity.totalCount == 9)
        let image = try await source.exportImage()

        let postgresql = try await TestStore.postgresql.open(region)
        // Rows already there are replaced, not kept beside the image's.
        let earlier = try await populate(postgresql)
        try await postgresql.importImage(image)
        #expect(try await state(of: postgresql, made) == expected)
        #expect(try await postgresql.token(id: earlier.idempotent) == nil)
        try await expectWritable(postgresql, after: expected)
        try await postgresql.close()
    }

    /// The PostgreSQL store lets the SQLite store read an image first: both refuse alike.
    @Test(arguments: [TestStore.sqlite, .postgresql]) func bytesThatAreNoSnapshotAreRefusedAndChangeNothing(store kind: TestStore)
        async throws
    {
        let store = try await kind.open(region)
        let made = try await populate(store)
        let before = try await state(of: store, made)
        let garbage: [[UInt8]] = [
            [], Array("not a snapshot".utf8), (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) },
            // An SQLite header on nothing that follows it.
            Array("SQLite format 3\0".utf8) + Array(repeating: 0, count: 84),
        ]
        for bytes in garbage {
            let refusal = await #expect(throws: TokendError.self) { try await store.importImage(bytes) }
            if case .invalidArguments(let problems)? = refusal {
                #expect(problems.map(\.argumentName) == ["image"])
            } else {
                Issue.record("\(kind): \(bytes.count) bytes refused with \(String(describing: refusal)), not invalid_argument on image")
            }
            #expect(try await state(of: store, made) == before)
        }
        try await store.close()
    }

    // MARK: The database away

    @Test func openingAStoreWhereNothingListensThrowsWithinItsTimeout() async throws {
        let nowhere = try #require(PostgreSQLLocation(url: "postgresql://postgres@127.0.0.1:1/postgres"))
        let settings = PostgreSQLStoreSettings(poolSize: 1, timeout: .milliseconds(500), schemaPrefix: TestStore.newSchemaPrefix())
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            let store = try await PostgreSQLTokenStore.open(region: region, at: nowhere, settings: settings)
            try await store.close()
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(3), "open took \(elapsed) to give up")
    }

    // MARK: Ordering

    @Test func namesListInTheSameByteOrderOnSQLiteAndPostgreSQL() async throws {
        // Mixed case and punctuation: a locale's collation would interleave cases and skip
        // '-' and '_'; bytes put capitals, then '_', then lowercase, and '-' before '_'.
        // ("_x1", not "_x": a name has at least three characters.)
        let names = ["B-1", "a_2", "A_1", "b-2", "_x1", "a-2"]
        let byteOrder = ["A_1", "B-1", "_x1", "a-2", "a_2", "b-2"]
        #expect(names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } == byteOrder)
        for kind in [TestStore.sqlite, .postgresql] {
            let store = try await kind.open(region)
            let start = Timestamp.now()
            for (index, name) in names.enumerated() {
                let made = newToken(name, project: Self.projectA, at: start.adding(seconds: index))
                try await store.insert(made.stored, activity: created(made.stored.token), idempotency: nil)
            }
            for projects in [ProjectAccess.all, .only([Self.projectA])] {
                let ascending = try await store.list(TokenListQuery(projects: projects, order: .nameAsc))
                #expect(ascending.tokens.map(\.name.rawValue) == byteOrder, "\(kind), \(projects)")
                let descending = try await store.list(TokenListQuery(projects: projects, order: .nameDesc))
                #expect(descending.tokens.map(\.name.rawValue) == byteOrder.reversed(), "\(kind), \(projects)")
            }
            try await store.close()
        }
    }
}

// MARK: - Helpers

/// A token made for a test, with its secret.
struct MadeToken: Sendable {
    let stored: StoredToken
    let secret: String
    var id: TokenID { stored.token.id }
}

/// What a snapshot test made, to read it back by.
struct Populated: Sendable {
    let tenant: Tenant
    let idempotencyKey: IdempotencyKey
    let idempotent: TokenID
    let revoked: TokenID
    let revokedAt: Timestamp
    /// Each secret that verifies: the tenant's key, a plain token's, a rotated token's new and previous ones.
    let secrets: [String]
    let month = "2026-08"
}

/// Everything a store answers about what `populate` made.
struct StoreState: Equatable {
    var tokens: TokenPage
    var projectTokens: TokenPage
    var tenant: Tenant?
    var tenants: [Tenant]
    var tenantTokens: [Token]
    var revokedKey: TenantKey?
    var activity: ActivityPage
    var tenantActivity: [TenantEvent]
    var traffic: Traffic
    var logBytesPushed: Int64
    var idempotency: IdempotencyRecord?
    var credentials: [Credential?]
}

/// The announcements a store handed its observer.
final class ChangeLog: Sendable {
    private let heard = Mutex<[CredentialChange]>([])

    func record(_ change: CredentialChange) { heard.withLock { $0.append(change) } }
    var changes: [CredentialChange] { heard.withLock { $0 } }
    func clear() { heard.withLock { $0.removeAll() } }

    /// Whether `change` is heard within `timeout`.
    func hears(_ change: CredentialChange, within timeout: Duration) async -> Bool {
        await eventually(within: timeout) { self.changes.contains(change) }
    }
}

/// Whether `condition` holds within `timeout`, asked every 20 ms.
func eventually(within timeout: Duration, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
}

extension PostgreSQLTokenStoreTests {
    static let logger: Logger = {
        var logger = Logger(label: "tokend-test.postgresql")
        logger.logLevel = .critical
        return logger
    }()

    /// Two instances' views of one region: two stores on the same schemas, as two tokend would open.
    func twoInstances(credentialLifetime: Duration = .seconds(2)) async throws -> (PostgreSQLTokenStore, PostgreSQLTokenStore) {
        let schemas = TestStore.newSchemaPrefix()
        let a = try await TestStore.postgresql.open(region, schemas: schemas, credentialLifetime: credentialLifetime)
        let b = try await TestStore.postgresql.open(region, schemas: schemas, credentialLifetime: credentialLifetime)
        return (try #require(a as? PostgreSQLTokenStore), try #require(b as? PostgreSQLTokenStore))
    }

    func newToken(
        _ name: String? = nil, project: ProjectID = projectA, at time: Timestamp = .now(),
        scopes: TokenScopes = TokenScopes([.writeOnlyMetrics, .readOnlyLogs]), expiresAt: Timestamp? = nil
    ) -> MadeToken {
        let secret = SecretFormat.generate(region: region)
        let token = Token(
            id: .timeOrdered(at: time), projectID: project, name: name.map { TokenName($0)! } ?? .generated(), createdAt: time,
            updatedAt: time, scopes: scopes, region: region, secretPrefix: SecretFormat.parse(secret)!.displayPrefix,
            expiresAt: expiresAt)
        return MadeToken(stored: StoredToken(token: token, secretHash: hasher.hash(secret)), secret: secret)
    }

    func created(_ token: Token) -> ActivityRecord {
        ActivityRecord(at: token.createdAt, kind: .created, tokenID: token.id, projectID: token.projectID, actor: "test", requestID: "req")
    }

    var revoked: @Sendable (Token) -> ActivityRecord {
        { token in
            ActivityRecord(at: .now(), kind: .revoked, tokenID: token.id, projectID: token.projectID, actor: "test", requestID: nil)
        }
    }

    func tenantRecord(_ kind: ActivityKind, _ tenant: Tenant) -> ActivityRecord {
        ActivityRecord(
            at: .now(), kind: kind, tokenID: nil, projectID: tenant.projectID, actor: nil, requestID: "req",
            actorEmail: "alice@example.com", details: ActivityDetails(metadata: ["display_name": tenant.displayName]))
    }

    /// Gives a token a new secret through `store`, which announces it.
    func rotate(_ id: TokenID, through store: any TokenStore, keepingPreviousUntil: Timestamp? = nil) async throws -> MadeToken? {
        let secret = SecretFormat.generate(region: region)
        let digest = SecretDigest(hash: hasher.hash(secret), displayPrefix: SecretFormat.parse(secret)!.displayPrefix)
        let token = try await store.rotate(
            id: id, visibleTo: .all, to: digest, at: .now(), previousValidUntil: keepingPreviousUntil
        ) { token in
            ActivityRecord(at: .now(), kind: .rotated, tokenID: token.id, projectID: token.projectID, actor: "test", requestID: nil)
        }
        return token.map { MadeToken(stored: StoredToken(token: $0, secretHash: digest.hash), secret: secret) }
    }

    /// Waits until `heard` (a store's observer) hears what `writer` announces: its listener
    /// connects in the background after open, and misses what is announced before.
    func awaitListening(_ heard: ChangeLog, announcementsThrough writer: PostgreSQLTokenStore) async throws {
        let probe = newToken("listening-probe")
        try await writer.insert(probe.stored, activity: created(probe.stored.token), idempotency: nil)
        let deadline = ContinuousClock.now + .seconds(10)
        while !heard.changes.contains(.token(probe.id)) {
            try #require(ContinuousClock.now < deadline, "no announcement heard in 10 s: \(heard.changes)")
            _ = try await rotate(probe.id, through: writer)
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until `reader`'s verify cache is told of changes made through `writer`: a token it
    /// remembers, deleted through `writer`, stops verifying. With a long credential lifetime,
    /// only its store's listener (an announcement, or its first connection) makes it forget.
    func awaitListening(_ reader: RegionTokenService, changesThrough writer: RegionTokenService, request: CreateTokenRequest)
        async throws
    {
        let probe = try await writer.create(request, by: origin)
        _ = try await verify(probe.secret, on: reader)
        try await writer.delete(id: probe.token.id.rawValue, by: origin)
        let forgotten = await eventually(within: .seconds(10)) { (try? await verify(probe.secret, on: reader)) == nil }
        try #require(forgotten, "the reader's listener never connected")
    }

    func verify(_ secret: String, on service: RegionTokenService) async throws -> VerifiedAccess {
        // Every test token verified is of project A, named by its tenant header.
        try await service.verifier.verify(VerifyRequest(secret: Substring(secret), tenant: Self.projectA.rawValue, operation: Self.push))
    }

    /// Deletes a token behind every store's back: nothing is announced. In a session on the
    /// region's schema, as tokend's own are (the token_count trigger needs it: see
    /// `aTokenDeletedFromAnotherSessionIsCounted`).
    func deleteSilently(_ id: TokenID, in schema: String) async throws {
        try await withDatabase { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(schema)"), logger: Self.logger)
            try await connection.query("DELETE FROM token WHERE id = \(id.rawValue)", logger: Self.logger)
        }
    }

    /// A connection of the test's own to the test server, for what no store does.
    @discardableResult func withDatabase<Value>(_ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        let server = try #require(TestStore.postgreSQLServer)
        let configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.username, password: server.password, database: server.database,
            tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Self.logger)
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            // PSQLError describes itself generically: say what the server said.
            throw DatabaseFailure(description: String(reflecting: error))
        }
    }

    /// The rows of a schema's `schema_migrations`: each version, and when it was applied.
    func appliedMigrations(_ schema: String) async throws -> [AppliedMigration] {
        try await withDatabase { connection in
            var applied: [AppliedMigration] = []
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT version, name, applied_at::TEXT FROM \(schema).schema_migrations ORDER BY version"),
                logger: Self.logger)
            for try await (version, name, appliedAt) in rows.decode((Int, String, String).self) {
                applied.append(AppliedMigration(version: version, name: name, appliedAt: appliedAt))
            }
            return applied
        }
    }

    /// A tenant with keys (one made with an idempotency key, one revoked), a plain token used
    /// by verify, a rotated token in its grace period, refusals and traffic counted, the
    /// tenant renamed and suspended: a row in every table a snapshot holds.
    func populate(_ store: any TokenStore & TenantStore) async throws -> Populated {
        let start = Timestamp.now()
        var owner = Tenant(
            id: TenantID("xs_acme_aaaaaaaa")!, projectID: .random(), organizationID: Self.acme, displayName: "Payments",
            environment: "prod", region: region, createdAt: start)
        try await store.insert(owner, activity: tenantRecord(.tenantCreated, owner))

        let key = newToken("collector", project: owner.projectID, at: start.adding(seconds: 1), scopes: KeyScope.write.scopes)
        let idempotencyKey = try #require(try IdempotencyKey.parse("caller:snapshot-\(UUID())"))
        try await store.insert(
            key.stored, activity: created(key.stored.token),
            idempotency: IdempotencyRecord(
                key: idempotencyKey, fingerprint: Array(repeating: 7, count: 32), tokenID: key.id, createdAt: key.stored.token.createdAt))
        let plain = newToken("plain", project: Self.projectA, at: start.adding(seconds: 2), expiresAt: start.adding(seconds: 86_400))
        try await store.insert(plain.stored, activity: created(plain.stored.token), idempotency: nil)
        let doomed = newToken("doomed", project: owner.projectID, at: start.adding(seconds: 3), scopes: KeyScope.read.scopes)
        try await store.insert(doomed.stored, activity: created(doomed.stored.token), idempotency: nil)
        let graced = newToken("graced", project: Self.projectB, at: start.adding(seconds: 4))
        try await store.insert(graced.stored, activity: created(graced.stored.token), idempotency: nil)

        let revokedAt = start.adding(seconds: 10)
        _ = try #require(try await store.revoke(id: doomed.id, of: owner.projectID, at: revokedAt, activity: revoked))
        let rotated = try #require(try await rotate(graced.id, through: store, keepingPreviousUntil: start.adding(seconds: 3600)))
        try await store.recordVerifications(
            lastUsed: [plain.id: start.adding(seconds: 20), key.id: start.adding(seconds: 21)],
            denials: [
                ActivityRecord(
                    at: start.adding(seconds: 22), kind: .denied, tokenID: plain.id, projectID: Self.projectA, actor: nil, requestID: nil,
                    count: 3, reason: "scope")
            ],
            traffic: [owner.projectID: Traffic(writes: 5, reads: 2, bytesPushed: 500, logBytesPushed: 200)], month: "2026-08")

        owner.displayName = "Payments EU"
        owner.status = .suspended
        let changed = owner
        _ = try await store.update(owner.id) { _ in (changed, tenantRecord(.tenantSuspended, changed)) }
        return Populated(
            tenant: owner, idempotencyKey: idempotencyKey, idempotent: key.id, revoked: doomed.id, revokedAt: revokedAt,
            secrets: [key.secret, plain.secret, rotated.secret, graced.secret])
    }

    func state(of store: any TokenStore & TenantStore, _ made: Populated) async throws -> StoreState {
        let everything = Paging(pageSize: 1000)
        return StoreState(
            tokens: try await store.list(TokenListQuery(projects: .all, paging: everything)),
            projectTokens: try await store.list(TokenListQuery(projects: .only([made.tenant.projectID]), order: .nameAsc)),
            tenant: try await store.tenant(id: made.tenant.id),
            tenants: try await store.tenants(of: made.tenant.organizationID),
            tenantTokens: try await store.tokens(of: made.tenant.projectID),
            revokedKey: try await store.revokedKey(id: made.revoked, of: made.tenant.projectID),
            activity: try await store.activity(ActivityQuery(projects: .all, paging: everything)),
            tenantActivity: try await store.activity(TenantActivityQuery(organization: made.tenant.organizationID)),
            traffic: try await store.traffic(of: made.tenant.projectID, month: made.month),
            logBytesPushed: try await store.logBytesPushed(by: made.tenant.organizationID, month: made.month),
            idempotency: try await store.idempotencyRecord(made.idempotencyKey, since: Timestamp(microsecondsSinceEpoch: 0)),
            credentials: try await made.secrets.asyncMap { try await store.credential(secretHash: hasher.hash($0)) })
    }

    /// A restored store takes new rows after the image's: its counts and event ids carry on.
    func expectWritable(_ store: any TokenStore & TenantStore, after restored: StoreState) async throws {
        let fresh = newToken("after-restore")
        try await store.insert(fresh.stored, activity: created(fresh.stored.token), idempotency: nil)
        #expect(try await store.list(TokenListQuery(projects: .all)).totalCount == restored.tokens.totalCount + 1)
        let newest = try #require(try await store.activity(ActivityQuery(projects: .all)).events.first)
        #expect(newest.record.tokenID == fresh.id)
        #expect(newest.id == (restored.activity.events.map(\.id).max() ?? 0) + 1)
    }
}

/// An error from the test's own connection, described in full.
struct DatabaseFailure: Error, CustomStringConvertible {
    let description: String
}

struct AppliedMigration: Equatable {
    let version: Int
    let name: String
    let appliedAt: String
}

extension Array {
    fileprivate func asyncMap<Mapped>(_ transform: (Element) async throws -> Mapped) async rethrows -> [Mapped] {
        var mapped: [Mapped] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}
