import TokendCore

/// A region server's portal answers (with tokend's extensions), as `RemoteTenantRegion`
/// reads them back into the core's values. A value that does not parse is the region
/// answering something tokend never writes: the caller reports the region unavailable.
struct TenantAnswer: Decodable {
    let id: String
    let display_name: String
    let environment: String
    let region: String
    let status: String
    let project_id: String
    let created_at_us: Int64

    func tenant(of caller: PortalCaller) throws -> Tenant {
        guard let id = TenantID(id), let projectID = ProjectID(project_id), let region = RegionName(region),
            let status = Tenant.Status(rawValue: status)
        else { throw AnswerMismatch() }
        return Tenant(
            id: id, projectID: projectID, organizationID: caller.organization.id, displayName: display_name, environment: environment,
            region: region, createdAt: Timestamp(microsecondsSinceEpoch: created_at_us), status: status)
    }
}

struct KeyAnswer: Decodable {
    let id: String
    let display_name: String
    let prefix: String
    let scope: String?
    let last_used_at: String?
    let created_at: String
    let revoked_at: String?
    let key: String?
    let project_id: String

    func key(in region: RegionName) throws -> TenantKey {
        guard let keyID = try? KeyID.parse(id), let projectID = ProjectID(project_id), let name = TokenName(display_name),
            let createdAt = Timestamp(rfc3339: created_at)
        else { throw AnswerMismatch() }
        let token = Token(
            id: keyID.tokenID, projectID: projectID, name: name, createdAt: createdAt, updatedAt: createdAt,
            scopes: scope.flatMap(KeyScope.init(rawValue:))?.scopes ?? TokenScopes(bitmask: 0), region: region, secretPrefix: prefix,
            lastUsedAt: last_used_at.flatMap { Timestamp(rfc3339: $0) })
        return TenantKey(token: token, revokedAt: revoked_at.flatMap { Timestamp(rfc3339: $0) })
    }

    func issued(in region: RegionName) throws -> IssuedToken {
        guard let key else { throw AnswerMismatch() }
        return IssuedToken(token: try self.key(in: region).token, secret: key)
    }
}

struct ActivityAnswer: Decodable {
    struct Event: Decodable {
        struct Actor: Decodable {
            let email: String?
        }
        let type: String
        let actor: Actor?
        let tenant_id: String
        let metadata: [String: String]
        let before: [String: String]?
        let after: [String: String]?
        let cursor: String
        let token_id: String?
        let project_id: String?
        let actor_key_prefix: String?

        func event() throws -> TenantEvent {
            guard let kind = ActivityKind(rawValue: type), let cursor = ActivityCursor(text: cursor), let tenant = TenantID(tenant_id)
            else { throw AnswerMismatch() }
            let record = ActivityRecord(
                at: cursor.at, kind: kind, tokenID: token_id.flatMap(TokenID.init), projectID: project_id.flatMap(ProjectID.init),
                actor: actor_key_prefix, requestID: nil, actorEmail: actor?.email,
                details: ActivityDetails(metadata: metadata, before: before, after: after))
            return TenantEvent(event: ActivityEvent(id: cursor.id, record: record, region: cursor.region), tenantID: tenant)
        }
    }
    let events: [Event]
    let next_cursor: String?
}

struct UsageAnswer: Decodable {
    let tenant_id: String
    let api_keys: Int
    let updated_at: String
    let verified_writes: Int64
    let verified_reads: Int64
    let bytes_pushed: Int64
    let last_used_at: String?

    func usage() throws -> TenantUsage {
        guard let tenant = TenantID(tenant_id), let updatedAt = Timestamp(rfc3339: updated_at) else { throw AnswerMismatch() }
        return TenantUsage(
            tenantID: tenant, apiKeys: api_keys,
            traffic: Traffic(writes: verified_writes, reads: verified_reads, bytesPushed: bytes_pushed),
            lastUsedAt: last_used_at.flatMap { Timestamp(rfc3339: $0) }, updatedAt: updatedAt)
    }
}

struct SummaryAnswer: Decodable {
    let logs_bytes_pushed_this_month: Int64
}

struct AnswerMismatch: Error {}
