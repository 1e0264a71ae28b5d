import PostgresNIO
import TokendCore

/// The xScaler tenants of a region, in the region's schema beside its tokens. A change that
/// alters what verify answers for a tenant's keys (suspension, resumption, deletion) is
/// announced to the other instances with the change.
extension PostgreSQLTokenStore: TenantStore {
    package func insert(_ tenant: Tenant, activity: ActivityRecord) async throws {
        do {
            try await write(.createTenant) { connection in
                try await connection.query(
                    """
                    INSERT INTO tenant (\(unescaped: tenantColumns))
                    VALUES (\(tenant.id.rawValue), \(tenant.projectID.rawValue), \(tenant.organizationID.rawValue), \(tenant.displayName),
                        \(tenant.environment), \(tenant.createdAt.microsecondsSinceEpoch), \(tenant.status == .suspended))
                    """, logger: self.logger)
                try await connection.query(activity.insertQuery, logger: self.logger)
            }
        } catch  where Self.serverInfo(.constraintName, of: error) == "tenant_pkey" {
            // The id taken; a project another tenant has (tenant_project_id_key) is no conflict
            // of the caller's making, and stays the database's error.
            throw TokendError.conflict(message: "tenant id \(tenant.id) is taken")
        }
    }

    package func tenant(id: TenantID) async throws -> Tenant? {
        try await rows(
            .getTenant, "SELECT \(unescaped: tenantColumns) FROM tenant WHERE id = \(id.rawValue) AND deleted_at IS NULL", decodeTenant
        ).first
    }

    package func tenants(of organization: OrganizationID) async throws -> [Tenant] {
        try await rows(
            .listTenants,
            """
            SELECT \(unescaped: tenantColumns) FROM tenant WHERE org_id = \(organization.rawValue) AND deleted_at IS NULL
            ORDER BY created_at, id
            """, decodeTenant)
    }

    package func update(_ id: TenantID, _ change: @escaping @Sendable (Tenant) -> (Tenant, ActivityRecord)?) async throws -> Tenant? {
        try await write(.updateTenant) { connection in
            guard
                let current = try await connection.query(
                    "SELECT \(unescaped: tenantColumns) FROM tenant WHERE id = \(id.rawValue) AND deleted_at IS NULL FOR UPDATE",
                    logger: self.logger
                ).collect().first.map({ try self.decodeTenant($0.makeRandomAccess()) })
            else { return nil }
            guard let (tenant, activity) = change(current) else { return current }
            try await connection.query(
                """
                UPDATE tenant SET display_name = \(tenant.displayName), environment = \(tenant.environment),
                    suspended = \(tenant.status == .suspended) WHERE id = \(tenant.id.rawValue)
                """, logger: self.logger)
            try await connection.query(activity.insertQuery, logger: self.logger)
            if tenant.status != current.status { try await self.announce(.all, connection) }
            return tenant
        }
    }

    package func delete(_ tenant: Tenant, at time: Timestamp, activity: ActivityRecord) async throws {
        try await write(.deleteTenant) { connection in
            let project = tenant.projectID.rawValue
            try await connection.query(
                "UPDATE tenant SET deleted_at = \(time.microsecondsSinceEpoch) WHERE id = \(tenant.id.rawValue) AND deleted_at IS NULL",
                logger: self.logger)
            try await self.keepRevokedRows(of: "project_id = $2", project, at: time, connection)
            try await connection.query("DELETE FROM token WHERE project_id = \(project)", logger: self.logger)
            try await connection.query(activity.insertQuery, logger: self.logger)
            try await self.announce(.all, connection)
        }
    }

    package func revoke(
        id: TokenID, of project: ProjectID, at time: Timestamp, activity: @escaping @Sendable (Token) -> ActivityRecord
    ) async throws -> Token? {
        try await write(.revokeKey) { connection in
            guard let token = try await self.lockedToken(id, connection), token.projectID == project else { return nil }
            try await self.keepRevokedRows(of: "id = $2", id.rawValue, at: time, connection)
            try await connection.query("DELETE FROM token WHERE id = \(id.rawValue)", logger: self.logger)
            try await connection.query(activity(token).insertQuery, logger: self.logger)
            try await self.announce(.token(id), connection)
            return token
        }
    }

    package func revokedKey(id: TokenID, of project: ProjectID) async throws -> TenantKey? {
        try await rows(
            .revokedKey,
            "SELECT \(unescaped: tokenColumns), revoked_at FROM revoked_key WHERE id = \(id.rawValue) AND project_id = \(project.rawValue)"
        ) { row in
            TenantKey(token: try self.decodeToken(row), revokedAt: Timestamp(microsecondsSinceEpoch: try row[9].decode(Int64.self)))
        }.first
    }

    package func tokens(of project: ProjectID) async throws -> [Token] {
        try await rows(
            .tenantTokens, "SELECT \(unescaped: tokenColumns) FROM token WHERE project_id = \(project.rawValue) ORDER BY created_at, id",
            decodeToken)
    }

    package func activity(_ query: TenantActivityQuery) async throws -> [TenantEvent] {
        let region = region
        var binds = PostgresBindings()
        let clause = query.filter(in: region).clause(binding: &binds)
        binds.append(Int64(query.limit + 1))
        let columns = ActivityEvent.columns.split(separator: ", ").map { "activity.\($0)" }.joined(separator: ", ")
        let sql = """
            SELECT \(columns), tenant.id FROM activity JOIN tenant ON tenant.project_id = activity.project_id\(clause)
            ORDER BY activity.at DESC, activity.id DESC LIMIT $\(binds.count)
            """
        return try await rows(.tenantActivity, PostgresQuery(unsafeSQL: sql, binds: binds)) { row in
            guard let tenant = TenantID(try row[11].decode(String.self)) else { throw TokendStoreError.corrupt(table: "tenant") }
            return TenantEvent(event: try ActivityEvent(postgres: row, region: region), tenantID: tenant)
        }
    }

    package func traffic(of project: ProjectID, month: String) async throws -> Traffic {
        try await rows(
            .traffic,
            "SELECT writes, reads, bytes_pushed, log_bytes_pushed FROM traffic WHERE project_id = \(project.rawValue) AND month = \(month)"
        ) { row in
            Traffic(
                writes: try row[0].decode(Int64.self), reads: try row[1].decode(Int64.self), bytesPushed: try row[2].decode(Int64.self),
                logBytesPushed: try row[3].decode(Int64.self))
        }.first ?? Traffic()
    }

    package func logBytesPushed(by organization: OrganizationID, month: String) async throws -> Int64 {
        try await rows(
            .bytesPushed,
            """
            SELECT COALESCE(SUM(traffic.log_bytes_pushed), 0)::BIGINT FROM traffic
            JOIN tenant ON tenant.project_id = traffic.project_id WHERE tenant.org_id = \(organization.rawValue) AND traffic.month = \(month)
            """
        ) { row in try row[0].decode(Int64.self) }.first ?? 0
    }

    func decodeTenant(_ row: PostgresRandomAccessRow) throws -> Tenant { try Tenant(postgres: row, region: region) }

    /// Copies tokens into `revoked_key` before they are deleted, in the caller's transaction;
    /// `condition` names the value as `$2`.
    private func keepRevokedRows(of condition: String, _ value: String, at time: Timestamp, _ connection: PostgresConnection) async throws {
        var binds = PostgresBindings()
        binds.append(time.microsecondsSinceEpoch)
        binds.append(value)
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO revoked_key (\(tokenColumns), revoked_at) SELECT \(tokenColumns), $1 FROM token WHERE \(condition)
                    ON CONFLICT (id) DO UPDATE SET
                        project_id = excluded.project_id, name = excluded.name, created_at = excluded.created_at,
                        updated_at = excluded.updated_at, scopes = excluded.scopes, secret_prefix = excluded.secret_prefix,
                        expires_at = excluded.expires_at, last_used_at = excluded.last_used_at, revoked_at = excluded.revoked_at
                    """, binds: binds), logger: logger)
    }
}
