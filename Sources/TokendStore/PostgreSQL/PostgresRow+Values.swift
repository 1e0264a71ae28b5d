import Foundation
import NIOCore
import PostgresNIO
import TokendCore

// Rows read in the same column order as the SQLite store's (`tokenColumns`, `tenantColumns`,
// `ActivityEvent.columns`), and the values written, in PostgreSQL's types.

extension Token {
    init(postgres row: PostgresRandomAccessRow, region: RegionName) throws {
        guard let id = TokenID(try row[0].decode(String.self)), let projectID = ProjectID(try row[1].decode(String.self)),
            let name = TokenName(try row[2].decode(String.self))
        else { throw TokendStoreError.corrupt(table: "token") }
        self.init(
            id: id, projectID: projectID, name: name,
            createdAt: Timestamp(microsecondsSinceEpoch: try row[3].decode(Int64.self)),
            updatedAt: Timestamp(microsecondsSinceEpoch: try row[4].decode(Int64.self)),
            scopes: TokenScopes(bitmask: try row[5].decode(Int64.self)), region: region, secretPrefix: try row[6].decode(String.self),
            expiresAt: try row[7].decode(Int64?.self).map { Timestamp(microsecondsSinceEpoch: $0) },
            lastUsedAt: try row[8].decode(Int64?.self).map { Timestamp(microsecondsSinceEpoch: $0) })
    }
}

extension Tenant {
    init(postgres row: PostgresRandomAccessRow, region: RegionName) throws {
        guard let id = TenantID(try row[0].decode(String.self)), let projectID = ProjectID(try row[1].decode(String.self)),
            let organizationID = OrganizationID(try row[2].decode(String.self))
        else { throw TokendStoreError.corrupt(table: "tenant") }
        self.init(
            id: id, projectID: projectID, organizationID: organizationID, displayName: try row[3].decode(String.self),
            environment: try row[4].decode(String.self), region: region,
            createdAt: Timestamp(microsecondsSinceEpoch: try row[5].decode(Int64.self)),
            status: try row[6].decode(Bool.self) ? .suspended : .active)
    }
}

extension ActivityEvent {
    init(postgres row: PostgresRandomAccessRow, region: RegionName) throws {
        guard let kind = ActivityKind(rawValue: try row[2].decode(String.self)) else { throw TokendStoreError.corrupt(table: "activity") }
        self.init(
            id: try row[0].decode(Int64.self),
            record: ActivityRecord(
                at: Timestamp(microsecondsSinceEpoch: try row[1].decode(Int64.self)), kind: kind,
                tokenID: try row[3].decode(String?.self).flatMap(TokenID.init),
                projectID: try row[4].decode(String?.self).flatMap(ProjectID.init), actor: try row[5].decode(String?.self),
                requestID: try row[6].decode(String?.self), count: Int(try row[7].decode(Int64.self)),
                reason: try row[8].decode(String?.self), actorEmail: try row[9].decode(String?.self),
                details: try row[10].decode(String?.self).flatMap(ActivityDetails.init(json:))),
            region: region)
    }
}

extension ActivityRecord {
    /// The audit row's INSERT, run in the same transaction as the change it records.
    var insertQuery: PostgresQuery {
        """
        INSERT INTO activity (at, kind, token_id, project_id, actor, request_id, count, reason, actor_email, details)
        VALUES (\(at.microsecondsSinceEpoch), \(kind.rawValue), \(tokenID?.rawValue), \(projectID?.rawValue), \(actor),
            \(requestID), \(Int64(count)), \(reason), \(actorEmail), \(details?.json))
        """
    }
}

extension Array where Element == UInt8 {
    /// As a `BYTEA` value: a `[UInt8]` would be sent as an array of `"char"`.
    var bytea: ByteBuffer { ByteBuffer(bytes: self) }
}
