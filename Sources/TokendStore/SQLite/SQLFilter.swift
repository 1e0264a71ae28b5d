import GRDB
import TokendCore

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
