import GRDB
import TokendCore

extension Token {
    /// Reads a row of `tokenColumns`. The store wrote every value through the core's types,
    /// so a value that no longer parses means the file was changed behind our back.
    init(row: Row, region: RegionName) throws {
        guard let id = row.id(TokenID.self, at: 0), let projectID = row.id(ProjectID.self, at: 1),
            let name = TokenName(row[2] as String)
        else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "token row holds a value tokend never writes")
        }
        self.init(
            id: id, projectID: projectID, name: name,
            createdAt: Timestamp(microsecondsSinceEpoch: row[3]),
            updatedAt: Timestamp(microsecondsSinceEpoch: row[4]),
            scopes: TokenScopes(bitmask: row[5]), region: region, secretPrefix: row[6],
            expiresAt: (row[7] as Int64?).map { Timestamp(microsecondsSinceEpoch: $0) },
            lastUsedAt: (row[8] as Int64?).map { Timestamp(microsecondsSinceEpoch: $0) })
    }
}
