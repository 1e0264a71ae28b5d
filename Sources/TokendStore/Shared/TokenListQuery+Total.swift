import TokendCore

extension TokenListQuery {
    /// The statement giving this list's exact total_count, with the same placeholders as
    /// `clause` (`filter` as the store rendered it): the counts both stores' triggers keep, of
    /// every token or per project, unless scopes filter the list too. It relies on `filter`
    /// holding nothing but the projects' condition when there are no scopes. Counting a
    /// 10,000-token project's rows cost its page of 100 ~550 µs of the server's ~1,000 µs
    /// (SQLite, BENCHMARKS.md, 2026-12-03).
    func totalSQL(clause: String) -> String {
        guard requiredScopes.isEmpty else { return "SELECT COUNT(*) FROM token" + clause }
        switch projects {
        case .all: return "SELECT tokens FROM token_count"
        case .only: return "SELECT CAST(COALESCE(SUM(tokens), 0) AS BIGINT) FROM project_token_count" + clause
        }
    }
}
