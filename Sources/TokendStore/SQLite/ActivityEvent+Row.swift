import GRDB
import TokendCore

extension ActivityEvent {
    init(row: Row, region: RegionName) throws {
        guard let kind = ActivityKind(rawValue: row[2]) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "activity row holds a kind tokend never writes")
        }
        self.init(
            id: row[0],
            record: ActivityRecord(
                at: Timestamp(microsecondsSinceEpoch: row[1]), kind: kind, tokenID: (row[3] as String?).flatMap(TokenID.init),
                projectID: (row[4] as String?).flatMap(ProjectID.init), actor: row[5], requestID: row[6], count: row[7], reason: row[8],
                actorEmail: row[9], details: (row[10] as String?).flatMap(ActivityDetails.init(json:))),
            region: region)
    }
}
