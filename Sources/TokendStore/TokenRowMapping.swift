import GRDB
import TokendCore

/// The columns a `Token` is read from, in the order `Token(row:region:)` expects.
let tokenColumns = "id, project_id, name, created_at, updated_at, scopes, secret_prefix"

extension Token {
    /// Reads a row of `tokenColumns`. The store wrote every value through the core's types,
    /// so a value that no longer parses means the file was changed behind our back.
    init(row: Row, region: RegionName) throws {
        guard let id = TokenID(row[0] as String), let projectID = ProjectID(row[1] as String),
              let name = TokenName(row[2] as String)
        else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "token row holds a value tokend never writes")
        }
        self.init(id: id, projectID: projectID, name: name,
                  createdAt: Timestamp(microsecondsSinceEpoch: row[3]),
                  updatedAt: Timestamp(microsecondsSinceEpoch: row[4]),
                  scopes: TokenScopes(bitmask: row[5]), region: region, secretPrefix: row[6])
    }
}

extension TokenOrder {
    var sql: String {
        switch self {
        case .createdAtAsc: "created_at ASC, id ASC"
        case .createdAtDesc: "created_at DESC, id DESC"
        case .nameAsc: "name ASC, id ASC"
        case .nameDesc: "name DESC, id DESC"
        }
    }
}

extension TokenListQuery {
    /// The WHERE clause and its arguments for this query's filters.
    var filterSQL: (clause: String, arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if case .only(let projects) = projects {
            conditions.append("project_id IN (" + Array(repeating: "?", count: projects.count).joined(separator: ",") + ")")
            arguments += StatementArguments(projects.map(\.rawValue).sorted())
        }
        if !requiredScopes.isEmpty {
            conditions.append("scopes & ? = ?")
            arguments += [requiredScopes.bitmask, requiredScopes.bitmask]
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), arguments)
    }
}
