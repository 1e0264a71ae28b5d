import Foundation
import Testing
import TokendCore
import TokendTestSupport

@testable import TokendStore

/// Each store's tenants (`TenantStore`), over every store this run can test (SQLite, and
/// PostgreSQL when `TOKEND_TEST_POSTGRESQL` names a server): rows, their events, revoked keys'
/// rows, and what verify's credential lookup learns of a key's tenant.
@Suite struct TenantStoreTests: StoreTesting {
    static let acme = OrganizationID.derived(fromName: "Acme")
    static let other = OrganizationID.derived(fromName: "Other")
    /// Events sort newest first, and tokens the service makes are stamped by the real clock: start there.
    static let start = Timestamp.now()

    func tenant(
        _ id: String, organization: OrganizationID = acme, name: String = "Payments", environment: String = "prod", after seconds: Int = 0
    ) -> Tenant {
        Tenant(
            id: TenantID(id)!, projectID: .random(), organizationID: organization, displayName: name, environment: environment,
            region: region, createdAt: Self.start.adding(seconds: seconds))
    }

    func record(_ kind: ActivityKind, _ tenant: Tenant, at seconds: Int = 0) -> ActivityRecord {
        ActivityRecord(
            at: Self.start.adding(seconds: seconds), kind: kind, tokenID: nil, projectID: tenant.projectID, actor: "alice@example.com",
            requestID: "req", actorEmail: "alice@example.com", details: ActivityDetails(metadata: ["display_name": tenant.displayName]))
    }

    @Test(arguments: TestStore.available) func insertedTenantsAreReadBackWholeAndListedOldestFirstPerOrganisation(store kind: TestStore)
        async throws
    {
        let store = try await kind.open(region)
        let first = tenant("xs_acme_aaaaaaaa")
        let tied = tenant("xs_acme_00000000", name: "Tied")
        let later = tenant("xs_acme_bbbbbbbb", name: "Later", environment: "", after: 5)
        let middle = tenant("xs_acme_cccccccc", name: "Middle", after: 2)
        let foreign = tenant("xs_other_aaaaaaaa", organization: Self.other, name: "Foreign", after: 1)
        for made in [later, first, foreign, middle, tied] { try await store.insert(made, activity: record(.tenantCreated, made)) }

        #expect(try await store.tenant(id: first.id) == first)
        #expect(try await store.tenant(id: later.id) == later)
        #expect(try await store.tenant(id: later.id)?.environment == "")
        #expect(try await store.tenant(id: later.id)?.status == .active)
        #expect(try await store.tenant(id: TenantID("xs_acme_zzzzzzzz")!) == nil)
        // Oldest first; the same instant by id.
        #expect(try await store.tenants(of: Self.acme).map(\.id) == [tied, first, middle, later].map(\.id))
        #expect(try await store.tenants(of: Self.other) == [foreign])
        #expect(try await store.tenants(of: OrganizationID.derived(fromName: "Nobody")).isEmpty)

        let events = try await store.activity(TenantActivityQuery(organization: Self.acme))
        #expect(events.count == 4)
        #expect(events.allSatisfy { $0.event.record.kind == .tenantCreated && $0.event.region == region })
        #expect(Set(events.map(\.tenantID)) == Set([tied, first, middle, later].map(\.id)))
        #expect(try await store.activity(TenantActivityQuery(organization: Self.other)).map(\.tenantID) == [foreign.id])
        try await store.close()
    }

    @Test(arguments: TestStore.available) func aTakenIDIsAConflictEvenAfterTheTenantIsDeleted(store kind: TestStore) async throws {
        let store = try await kind.open(region)
        let original = tenant("xs_acme_aaaaaaaa")
        try await store.insert(original, activity: record(.tenantCreated, original))
        let duplicate = tenant("xs_acme_aaaaaaaa", name: "Impostor")
        await #expect(throws: TokendError.conflict(message: "tenant id xs_acme_aaaaaaaa is taken")) {
            try await store.insert(duplicate, activity: record(.tenantCreated, duplicate))
        }
        #expect(try await store.tenant(id: original.id) == original)
        // Nor did the refused insert leave its event.
        #expect(try await store.activity(TenantActivityQuery(organization: Self.acme)).count == 1)

        try await store.delete(original, at: Self.start.adding(seconds: 10), activity: record(.tenantDeleted, original, at: 10))
        #expect(try await store.tenant(id: original.id) == nil)
        #expect(try await store.tenants(of: Self.acme).isEmpty)
        await #expect(throws: TokendError.conflict(message: "tenant id xs_acme_aaaaaaaa is taken")) {
            try await store.insert(duplicate, activity: record(.tenantCreated, duplicate))
        }
        #expect(try await store.tenant(id: original.id) == nil)
        try await store.close()
    }

    @Test(arguments: TestStore.available) func aTenantSharingAnotherTenantsProjectIsRefused(store kind: TestStore) async throws {
        let store = try await kind.open(region)
        let original = tenant("xs_acme_aaaaaaaa")
        try await store.insert(original, activity: record(.tenantCreated, original))
        let sharing = Tenant(
            id: TenantID("xs_acme_bbbbbbbb")!, projectID: original.projectID, organizationID: Self.acme, displayName: "Sharing",
            environment: "", region: region, createdAt: Self.start)
        // The project's unique index refuses it (as a database error: the service never reuses a project),
        // not as its id being taken: xs_acme_bbbbbbbb is free, and a conflict naming it would be false.
        let refusal = await #expect(throws: (any Error).self) { try await store.insert(sharing, activity: record(.tenantCreated, sharing)) }
        #expect(refusal as? TokendError != TokendError.conflict(message: "tenant id xs_acme_bbbbbbbb is taken"), "\(kind)")
        #expect(try await store.tenant(id: sharing.id) == nil)
        #expect(try await store.tenants(of: Self.acme) == [original])
        try await store.close()
    }

    @Test(arguments: TestStore.available) func updatesWriteTheNameEnvironmentAndStatusWithTheirEvent(store kind: TestStore) async throws {
        let store = try await kind.open(region)
        let original = tenant("xs_acme_aaaaaaaa")
        try await store.insert(original, activity: record(.tenantCreated, original))
        var changed = original
        changed.displayName = "Payments EU"
        changed.environment = ""
        changed.status = .suspended
        let event = ActivityRecord(
            at: Self.start.adding(seconds: 1), kind: .tenantSuspended, tokenID: nil, projectID: original.projectID, actor: nil,
            requestID: nil, actorEmail: "bob@example.com",
            details: ActivityDetails(
                metadata: ["display_name": "Payments EU"], before: ["status": "active"], after: ["status": "suspended"]))
        try await overwrite(store, with: changed, event)
        #expect(try await store.tenant(id: original.id) == changed)
        #expect(try await store.tenants(of: Self.acme) == [changed])

        let events = try await store.activity(TenantActivityQuery(organization: Self.acme))
        #expect(events.map(\.event.record.kind) == [.tenantSuspended, .tenantCreated])
        let stored = try #require(events.first?.event.record)
        #expect(stored.actorEmail == "bob@example.com")
        #expect(stored.details == event.details)
        #expect(stored.at == event.at)

        changed.status = .active
        try await overwrite(store, with: changed, record(.tenantActivated, changed, at: 2))
        #expect(try await store.tenant(id: original.id)?.status == .active)
        #expect(try await store.activity(TenantActivityQuery(organization: Self.acme, kind: .tenantActivated)).count == 1)
        // Only the id's row changes.
        let bystander = tenant("xs_acme_bbbbbbbb", name: "Bystander")
        try await store.insert(bystander, activity: record(.tenantCreated, bystander))
        changed.displayName = "Again"
        try await overwrite(store, with: changed, record(.tenantMetadataUpdated, changed, at: 3))
        #expect(try await store.tenant(id: bystander.id) == bystander)
        try await store.close()
    }

    @Test(arguments: TestStore.available) func aRevokedKeyLeavesTheTokensAndKeepsARow(store kind: TestStore) async throws {
        let store = try await kind.open(region)
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        let owner = tenant("xs_acme_aaaaaaaa")
        try await store.insert(owner, activity: record(.tenantCreated, owner))
        let request = CreateTokenRequest(projectID: owner.projectID, name: TokenName("collector"), scopes: KeyScope.write.scopes)
        let issued = try await service.create(request, idempotencyKey: nil, by: origin, style: .xscaler)
        guard case .created(let key) = issued else { throw StoreTestFailure("a create without an idempotency key creates") }
        let kept = try await service.create(request, by: origin)
        #expect(try await store.tokens(of: owner.projectID).map(\.id) == [key.token.id, kept.token.id])
        #expect(try await store.credential(secretHash: hasher.hash(key.secret)) != nil)

        // Another project's revoke finds nothing.
        let stranger = ProjectID.random()
        let strangers = try await store.revoke(id: key.token.id, of: stranger, at: Self.start) { _ in record(.revoked, owner) }
        #expect(strangers == nil)
        #expect(try await store.tokens(of: owner.projectID).count == 2)

        let revokedAt = Self.start.adding(seconds: 30)
        let revoked = try await store.revoke(id: key.token.id, of: owner.projectID, at: revokedAt) { token in
            ActivityRecord(
                at: revokedAt, kind: .revoked, tokenID: token.id, projectID: token.projectID, actor: nil, requestID: nil,
                actorEmail: "alice@example.com")
        }
        #expect(revoked?.id == key.token.id)
        #expect(try await store.tokens(of: owner.projectID).map(\.id) == [kept.token.id])
        #expect(try await store.credential(secretHash: hasher.hash(key.secret)) == nil)
        #expect(try await store.token(id: key.token.id) == nil)

        let row = try #require(try await store.revokedKey(id: key.token.id, of: owner.projectID))
        #expect(row.status == "revoked")
        #expect(row.revokedAt == revokedAt)
        #expect(row.token.name.rawValue == "collector")
        #expect(row.token.secretPrefix == String(key.secret.prefix(8)))
        #expect(row.scope == .write)
        #expect(row.id == KeyID(key.token.id))
        #expect(try await store.revokedKey(id: key.token.id, of: stranger) == nil)
        #expect(try await store.revokedKey(id: kept.token.id, of: owner.projectID) == nil)
        // A second revoke finds nothing; the row stays as it was.
        let again = try await store.revoke(id: key.token.id, of: owner.projectID, at: revokedAt.adding(seconds: 5)) { _ in
            record(.revoked, owner)
        }
        #expect(again == nil)
        #expect(try await store.revokedKey(id: key.token.id, of: owner.projectID)?.revokedAt == revokedAt)
        let events = try await store.activity(TenantActivityQuery(organization: Self.acme, kind: .revoked))
        #expect(events.map(\.event.record.tokenID) == [key.token.id])
        #expect(events.map(\.tenantID) == [owner.id])
        try await store.close()
    }

    @Test(arguments: TestStore.available) func deletingATenantRevokesEveryKeyKeepingTheirRows(store kind: TestStore) async throws {
        let store = try await kind.open(region)
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        let doomed = tenant("xs_acme_aaaaaaaa")
        let spared = tenant("xs_acme_bbbbbbbb")
        for made in [doomed, spared] { try await store.insert(made, activity: record(.tenantCreated, made)) }
        let keys = [
            try await service.create(CreateTokenRequest(projectID: doomed.projectID, name: nil, scopes: KeyScope.read.scopes), by: origin),
            try await service.create(CreateTokenRequest(projectID: doomed.projectID, name: nil, scopes: KeyScope.write.scopes), by: origin),
        ]
        let survivor = try await service.create(
            CreateTokenRequest(projectID: spared.projectID, name: nil, scopes: KeyScope.read.scopes), by: origin)

        let deletedAt = Self.start.adding(seconds: 60)
        try await store.delete(doomed, at: deletedAt, activity: record(.tenantDeleted, doomed, at: 60))
        #expect(try await store.tokens(of: doomed.projectID).isEmpty)
        for key in keys {
            #expect(try await store.credential(secretHash: hasher.hash(key.secret)) == nil)
            #expect(try await store.revokedKey(id: key.token.id, of: doomed.projectID)?.revokedAt == deletedAt)
        }
        #expect(try await store.credential(secretHash: hasher.hash(survivor.secret))?.tenantID == spared.id)
        #expect(try await store.tenants(of: Self.acme) == [spared])
        // The deleted tenant's trail is kept, ending with its deletion.
        let trail = try await store.activity(TenantActivityQuery(organization: Self.acme, tenant: doomed.id))
        #expect(trail.first?.event.record.kind == .tenantDeleted)
        #expect(trail.map(\.event.record.kind).filter { $0 == .created }.count == 2)
        try await store.close()
    }

    @Test(arguments: TestStore.available) func theCredentialLookupReportsTheKeysTenantAndWhetherItIsSuspended(store kind: TestStore)
        async throws
    {
        let store = try await kind.open(region)
        let service = RegionTokenService(region: region, store: store, hasher: hasher)
        var owner = tenant("xs_acme_aaaaaaaa")
        try await store.insert(owner, activity: record(.tenantCreated, owner))
        let key = try await service.create(
            CreateTokenRequest(projectID: owner.projectID, name: nil, scopes: KeyScope.readWrite.scopes), by: origin)
        let plain = try await service.create(
            CreateTokenRequest(projectID: ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!, name: nil, scopes: KeyScope.read.scopes),
            by: origin)

        let found = try #require(try await store.credential(secretHash: hasher.hash(key.secret)))
        #expect(found.tokenID == key.token.id)
        #expect(found.projectID == owner.projectID)
        #expect(found.tenantID == owner.id)
        #expect(found.suspended == false)
        #expect(found.scopes == KeyScope.readWrite.scopes)
        let untenanted = try #require(try await store.credential(secretHash: hasher.hash(plain.secret)))
        #expect(untenanted.tenantID == nil)
        #expect(untenanted.suspended == false)

        owner.status = .suspended
        try await overwrite(store, with: owner, record(.tenantSuspended, owner, at: 1))
        let suspended = try #require(try await store.credential(secretHash: hasher.hash(key.secret)))
        #expect(suspended.tenantID == owner.id)
        #expect(suspended.suspended == true)
        #expect(try await store.credential(secretHash: hasher.hash(plain.secret))?.suspended == false)

        owner.status = .active
        try await overwrite(store, with: owner, record(.tenantActivated, owner, at: 2))
        #expect(try await store.credential(secretHash: hasher.hash(key.secret))?.suspended == false)
        #expect(try await store.credential(secretHash: hasher.hash("xag_" + String(repeating: "0", count: 32))) == nil)
        try await store.close()
    }

    @Test(arguments: TestStore.available) func trafficIsCountedPerProjectAndMonthAndAddsUp(store kind: TestStore) async throws {
        let store = try await kind.open(region)
        let owner = tenant("xs_acme_aaaaaaaa")
        let foreign = tenant("xs_other_aaaaaaaa", organization: Self.other)
        for made in [owner, foreign] { try await store.insert(made, activity: record(.tenantCreated, made)) }
        let counted = Traffic(writes: 2, reads: 1, bytesPushed: 100, logBytesPushed: 40)
        for _ in 0..<2 {
            try await store.recordVerifications(
                lastUsed: [:], denials: [], traffic: [owner.projectID: counted, foreign.projectID: Traffic(writes: 1, logBytesPushed: 7)],
                month: "2026-08")
        }
        #expect(
            try await store.traffic(of: owner.projectID, month: "2026-08")
                == Traffic(writes: 4, reads: 2, bytesPushed: 200, logBytesPushed: 80))
        #expect(try await store.traffic(of: owner.projectID, month: "2026-09") == Traffic())
        #expect(try await store.logBytesPushed(by: Self.acme, month: "2026-08") == 80)
        #expect(try await store.logBytesPushed(by: Self.other, month: "2026-08") == 14)
        #expect(try await store.logBytesPushed(by: Self.acme, month: "2026-07") == 0)
        try await store.close()
    }
}

struct StoreTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes `tenant` over what the store holds, with its event (the store's update, given the result).
private func overwrite(_ store: any TenantStore, with tenant: Tenant, _ event: ActivityRecord) async throws {
    let written = try await store.update(tenant.id) { _ in (tenant, event) }
    #expect(written == tenant)
}
