import GRDB

extension StoreFilter {
    /// The values as SQLite binds them, to the clause's `?` in order.
    var arguments: StatementArguments {
        // Appended one by one: StatementArguments' Sequence initialisers are generic, and
        // unspecialized across modules they cost a list of 2 tokens about 4% of its time.
        var arguments: StatementArguments = []
        for value in values {
            switch value {
            case .text(let text): arguments += [text]
            case .integer(let integer): arguments += [integer]
            }
        }
        return arguments
    }
}
