extension TokenScopes {
    /// Parses scope names as a request gives them. Duplicates collapse; an unknown name,
    /// `unknown_scope` included, is a `format` problem naming the accepted values.
    package static func parse(_ names: [String], argument: String, requireOne: Bool) throws(TokendError) -> TokenScopes {
        var scopes: [TokenScope] = []
        var problems: [ArgumentProblem] = []
        for name in names {
            if let scope = TokenScope(rawValue: name) {
                scopes.append(scope)
            } else {
                problems.append(
                    ArgumentProblem(
                        argument, .format,
                        "unknown scope '\(name.prefix(64))'; accepted values: \(TokenScope.wireNames)"))
            }
        }
        if !problems.isEmpty { throw .invalidArguments(problems) }
        if requireOne && scopes.isEmpty {
            throw .invalidArgument(argument, .required, "at least one scope is required; accepted values: \(TokenScope.wireNames)")
        }
        return TokenScopes(scopes)
    }
}
