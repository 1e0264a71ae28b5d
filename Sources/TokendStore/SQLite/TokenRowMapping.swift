import GRDB
import TokendCore

/// The columns a `Token` is read from, in the order `Token(row:region:)` expects.
let tokenColumns = "id, project_id, name, created_at, updated_at, scopes, secret_prefix, expires_at, last_used_at"

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
                  scopes: TokenScopes(bitmask: row[5]), region: region, secretPrefix: row[6],
                  expiresAt: (row[7] as Int64?).map { Timestamp(microsecondsSinceEpoch: $0) }, lastUsedAt: (row[8] as Int64?).map { Timestamp(microsecondsSinceEpoch: $0) })
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

/// A WHERE clause under construction, with its arguments.
struct SQLFilter {
    private var conditions: [String] = []
    private(set) var arguments = StatementArguments()

    mutating func add(_ condition: String, _ values: StatementArguments = []) {
        conditions.append(condition)
        arguments += values
    }

    /// `project_id IN (…)` for a caller limited to some projects; nothing for one who sees all.
    mutating func projects(_ access: ProjectAccess) {
        if case .only(let projects) = access {
            // Appended one by one: StatementArguments' Sequence initialisers are generic, and
            // unspecialized across modules they cost a list of 2 tokens about 4% of its time.
            var values: StatementArguments = []
            for project in projects.map({ $0.rawValue }).sorted() { values += [project] }
            add("project_id IN (" + Array(repeating: "?", count: projects.count).joined(separator: ",") + ")", values)
        }
    }

    var clause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }
}

extension ProjectAccess {
    var seesNothing: Bool { if case .only(let projects) = self { projects.isEmpty } else { false } }
}

extension ActivityEvent {
    static let columns = "id, at, kind, token_id, project_id, actor, request_id, count, reason"

    init(row: Row, region: RegionName) throws {
        guard let kind = ActivityKind(rawValue: row[2]) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "activity row holds a kind tokend never writes")
        }
        self.init(id: row[0], record: ActivityRecord(
            at: Timestamp(microsecondsSinceEpoch: row[1]), kind: kind, tokenID: (row[3] as String?).flatMap(TokenID.init),
            projectID: (row[4] as String?).flatMap(ProjectID.init), actor: row[5], requestID: row[6], count: row[7], reason: row[8]),
                  region: region)
    }
}

extension ActivityRecord {
    var insertArguments: StatementArguments {
        [at.microsecondsSinceEpoch, kind.rawValue, tokenID?.rawValue, projectID?.rawValue, actor, requestID, count, reason]
    }
    static let insertSQL = "INSERT INTO activity (at, kind, token_id, project_id, actor, request_id, count, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
}

extension TokenListQuery {
    /// The WHERE clause and its arguments for this query's filters.
    var filterSQL: (clause: String, arguments: StatementArguments) {
        var filter = SQLFilter()
        filter.projects(projects)
        if !requiredScopes.isEmpty {
            filter.add("scopes & ? = ?", [requiredScopes.bitmask, requiredScopes.bitmask])
        }
        return (filter.clause, filter.arguments)
    }
}
