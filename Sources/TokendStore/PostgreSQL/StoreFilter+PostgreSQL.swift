import PostgresNIO

extension StoreFilter {
    /// The WHERE clause with PostgreSQL's numbered placeholders, from `$(binds.count + 1)` on,
    /// its values appended to `binds`. The clause may be used twice in one statement (a page
    /// and its count): the numbers name the same values. `LIKE` becomes `ILIKE` in the C
    /// collation: SQLite's LIKE ignores ASCII case (only), PostgreSQL's does not.
    func clause(binding binds: inout PostgresBindings) -> String {
        guard !conditions.isEmpty else { return "" }
        var number = binds.count
        for value in values {
            switch value {
            case .text(let text): binds.append(text)
            case .integer(let integer): binds.append(integer)
            }
        }
        var rendered = ""
        for character in clause {
            if character == "?" {
                number += 1
                rendered += "$\(number)"
            } else {
                rendered.append(character)
            }
        }
        return rendered.replacing(" LIKE ", with: #" COLLATE "C" ILIKE "#)
    }
}
