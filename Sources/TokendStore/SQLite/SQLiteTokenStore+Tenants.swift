import GRDB
import TokendCore

/// The xScaler tenants of a region, in the same database as its tokens: a tenant's keys
/// are its project's rows of `token`, and a tenant's change commits with its audit event.
extension SQLiteTokenStore: TenantStore {
    package func insert(_ tenant: Tenant, activity: ActivityRecord) async throws {
        do {
            try await write(.createTenant) { db in
                try db.execute(
                    sql: "INSERT INTO tenant (\(tenantColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        tenant.id.rawValue, tenant.projectID.rawValue, tenant.organizationID.rawValue, tenant.displayName,
                        tenant.environment, tenant.createdAt.microsecondsSinceEpoch, tenant.status == .suspended ? 1 : 0,
                    ])
                try db.execute(sql: ActivityRecord.insertSQL, arguments: activity.insertArguments)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw TokendError.conflict(message: "tenant id \(tenant.id) is taken")
        }
    }

    package func tenant(id: TenantID) async throws -> Tenant? {
        let region = region
        return try readOneStatement(.getTenant) { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(tenantColumns) FROM tenant WHERE id = ? AND deleted_at IS NULL"), arguments: [id.rawValue]
            ).map { try Tenant(row: $0, region: region) }
        }
    }

    package func tenants(of organization: OrganizationID) async throws -> [Tenant] {
        let region = region
        return try readOneStatement(.listTenants) { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT \(tenantColumns) FROM tenant WHERE org_id = ? AND deleted_at IS NULL ORDER BY created_at, id"),
                arguments: [organization.rawValue]
            ).map { try Tenant(row: $0, region: region) }
        }
    }

    package func update(_ id: TenantID, _ change: @escaping @Sendable (Tenant) -> (Tenant, ActivityRecord)?) async throws -> Tenant? {
        let region = region
        return try await write(.updateTenant) { db in
            guard
                let current = try Row.fetchOne(
                    db, sql: "SELECT \(tenantColumns) FROM tenant WHERE id = ? AND deleted_at IS NULL", arguments: [id.rawValue]
                ).map({ try Tenant(row: $0, region: region) })
            else { return nil }
            guard let (tenant, activity) = change(current) else { return current }
            try db.execute(
                sql: "UPDATE tenant SET display_name = ?, environment = ?, suspended = ? WHERE id = ?",
                arguments: [tenant.displayName, tenant.environment, tenant.status == .suspended ? 1 : 0, tenant.id.rawValue])
            try db.execute(sql: ActivityRecord.insertSQL, arguments: activity.insertArguments)
            return tenant
        }
    }

    package func delete(_ tenant: Tenant, at time: Timestamp, activity: ActivityRecord) async throws {
        try await write(.deleteTenant) { db in
            let project = tenant.projectID.rawValue
            try db.execute(
                sql: "UPDATE tenant SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                arguments: [time.microsecondsSinceEpoch, tenant.id.rawValue])
            try Self.keepRevokedRows(where: "project_id = ?", [project], at: time, db)
            try db.execute(sql: "DELETE FROM token WHERE project_id = ?", arguments: [project])
            try db.execute(sql: ActivityRecord.insertSQL, arguments: activity.insertArguments)
        }
    }

    package func revoke(
        id: TokenID, of project: ProjectID, at time: Timestamp,
        activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token? {
        try await write(.revokeKey) { db in
            guard let token = try self.fetchToken(id, db), token.projectID == project else { return nil }
            try Self.keepRevokedRows(where: "id = ?", [id.rawValue], at: time, db)
            try db.execute(sql: "DELETE FROM token WHERE id = ?", arguments: [id.rawValue])
            try db.execute(sql: ActivityRecord.insertSQL, arguments: activity(token).insertArguments)
            return token
        }
    }

    package func revokedKey(id: TokenID, of project: ProjectID) async throws -> TenantKey? {
        let region = region
        return try readOneStatement(.revokedKey) { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(tokenColumns), revoked_at FROM revoked_key WHERE id = ? AND project_id = ?"),
                arguments: [id.rawValue, project.rawValue]
            ).map { row in
                TenantKey(token: try Token(row: row, region: region), revokedAt: Timestamp(microsecondsSinceEpoch: row[9]))
            }
        }
    }

    package func tokens(of project: ProjectID) async throws -> [Token] {
        let region = region
        return try readOneStatement(.tenantTokens) { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(tokenColumns) FROM token WHERE project_id = ? ORDER BY created_at, id"),
                arguments: [project.rawValue]
            ).map { try Token(row: $0, region: region) }
        }
    }

    package func activity(_ query: TenantActivityQuery) async throws -> [TenantEvent] {
        let region = region
        let filter = query.filter(in: region)
        let columns = ActivityEvent.columns.split(separator: ", ").map { "activity.\($0)" }.joined(separator: ", ")
        let sql = """
            SELECT \(columns), tenant.id FROM activity JOIN tenant ON tenant.project_id = activity.project_id\(filter.clause)
            ORDER BY activity.at DESC, activity.id DESC LIMIT ?
            """
        return try readOneStatement(.tenantActivity) { db in
            try Row.fetchAll(db, sql: sql, arguments: filter.arguments + [query.limit + 1]).map { row in
                guard let tenant = TenantID(row[11] as String) else {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "tenant row holds a value tokend never writes")
                }
                return TenantEvent(event: try ActivityEvent(row: row, region: region), tenantID: tenant)
            }
        }
    }

    package func traffic(of project: ProjectID, month: String) async throws -> Traffic {
        try readOneStatement(.traffic) { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT writes, reads, bytes_pushed, log_bytes_pushed FROM traffic WHERE project_id = ? AND month = ?"),
                arguments: [project.rawValue, month]
            ).map { Traffic(writes: $0[0], reads: $0[1], bytesPushed: $0[2], logBytesPushed: $0[3]) } ?? Traffic()
        }
    }

    package func logBytesPushed(by organization: OrganizationID, month: String) async throws -> Int64 {
        try readOneStatement(.bytesPushed) { db in
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COALESCE(SUM(traffic.log_bytes_pushed), 0) FROM traffic
                        JOIN tenant ON tenant.project_id = traffic.project_id WHERE tenant.org_id = ? AND traffic.month = ?
                        """), arguments: [organization.rawValue, month]) ?? 0
        }
    }

    /// Copies tokens into `revoked_key` before they are deleted, in the caller's transaction.
    private static func keepRevokedRows(where condition: String, _ arguments: StatementArguments, at time: Timestamp, _ db: Database) throws
    {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO revoked_key (\(tokenColumns), revoked_at)
                SELECT \(tokenColumns), ? FROM token WHERE \(condition)
                """, arguments: [time.microsecondsSinceEpoch] + arguments)
    }
}
