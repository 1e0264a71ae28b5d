/// Collects every problem with a request's arguments so that one answer names them all,
/// instead of making a client fix them one round trip at a time.
package struct ArgumentCheck: Sendable {
    package private(set) var problems: [ArgumentProblem] = []

    package init() {}

    package mutating func record(_ problem: ArgumentProblem) { problems.append(problem) }

    /// Runs one parse; a thrown `invalid_arguments` is recorded and yields nil.
    package mutating func attempt<Value>(_ parse: () throws(TokendError) -> Value) -> Value? {
        do {
            return try parse()
        } catch .invalidArguments(let found) {
            problems.append(contentsOf: found)
        } catch {
            // Only argument problems are gathered; anything else is a programming error here.
            preconditionFailure("ArgumentCheck.attempt only takes argument parsers, got \(error)")
        }
        return nil
    }

    /// Throws the collected problems, if any.
    package func finish() throws(TokendError) {
        if !problems.isEmpty { throw .invalidArguments(problems) }
    }
}
