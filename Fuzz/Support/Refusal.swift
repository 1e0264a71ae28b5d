import TokendCore

/// What a refusal of an argument parser must look like: `invalid_arguments` naming at least
/// one problem, each with an argument and a help message (the client is told what to fix).
package func expectArgumentRefusal(_ error: TokendError, naming allowed: Set<String>? = nil, _ context: String) {
    guard case .invalidArguments(let problems) = error else { impossible("\(context): refused with \(error), not invalid_arguments") }
    invariant(!problems.isEmpty, "\(context): invalid_arguments without a problem")
    for problem in problems {
        invariant(!problem.argumentName.isEmpty && !problem.helpMessage.isEmpty, "\(context): a problem without a name or help: \(problem)")
        if let allowed {
            invariant(allowed.contains(problem.argumentName), "\(context): a problem names \(problem.argumentName), not one of \(allowed)")
        }
        invariant(problem.helpMessage.utf8.count <= 1024, "\(context): a help message of \(problem.helpMessage.utf8.count) bytes")
    }
}
