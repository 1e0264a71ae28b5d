import GRDB
import TokendCore

extension Tenant {
    init(row: Row, region: RegionName) throws {
        guard let id = TenantID(row[0] as String), let projectID = row.id(ProjectID.self, at: 1),
            let organizationID = OrganizationID(row[2] as String)
        else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "tenant row holds a value tokend never writes")
        }
        self.init(
            id: id, projectID: projectID, organizationID: organizationID, displayName: row[3], environment: row[4],
            region: region, createdAt: Timestamp(microsecondsSinceEpoch: row[5]), status: (row[6] as Int64) == 1 ? .suspended : .active)
    }
}
