extension TokenListQuery {
    /// Validates a list request's arguments against what the caller may see. Empty values
    /// count as absent (the Go SDK sends `project_id=` when unset); a single-valued
    /// argument given twice is refused rather than silently picking one.
    public static func parse(_ arguments: ListArguments, access: ProjectAccess) throws(TokendError) -> TokenListQuery {
        var check = ArgumentCheck()
        let projectID = check.attempt { () throws(TokendError) in
            try single(arguments.projectID, "project_id").map { text throws(TokendError) in
                try ProjectID.parse(text, argument: "project_id")
            }
        } ?? nil
        let scopes = check.attempt { () throws(TokendError) in
            try TokenScopes.parse(arguments.tokenScopes.filter { !$0.isEmpty }, argument: "token_scopes", requireOne: false)
        }
        let order = check.attempt { () throws(TokendError) in
            try single(arguments.orderBy, "order_by").map { text throws(TokendError) in
                guard let order = TokenOrder(rawValue: text) else {
                    throw .invalidArgument("order_by", .format, "order_by must be one of: "
                        + TokenOrder.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return order
            }
        } ?? nil
        let page = check.attempt { () throws(TokendError) in
            try single(arguments.page, "page").map { text throws(TokendError) in
                try integer(text, "page", in: 1...Int.max, help: "page must be a whole number, 1 or more")
            }
        } ?? nil
        let pageSize = check.attempt { () throws(TokendError) in
            try single(arguments.pageSize, "page_size").map { text throws(TokendError) in
                try integer(text, "page_size", in: pageSizeRange, help: "page_size must be a whole number from 1 to 1000")
            }
        } ?? nil
        try check.finish()

        var projects = access
        if let projectID {
            guard access.allows(projectID) else {
                throw .permissionsDenied(action: "read", resource: "project \(projectID)")
            }
            projects = .only([projectID])
        }
        return TokenListQuery(projects: projects, requiredScopes: scopes ?? TokenScopes(bitmask: 0),
                              order: order ?? .default, page: page ?? 1,
                              pageSize: pageSize ?? defaultPageSize)
    }

    private static func single(_ values: [String], _ name: String) throws(TokendError) -> String? {
        let given = values.filter { !$0.isEmpty }
        guard given.count <= 1 else {
            throw .invalidArgument(name, .constraint, "\(name) was given \(given.count) times; give it once")
        }
        return given.first
    }

    private static func integer(_ text: String, _ name: String, in range: ClosedRange<Int>, help: String) throws(TokendError) -> Int {
        guard let value = Int(text) else { throw .invalidArgument(name, .format, help) }
        guard range.contains(value) else { throw .invalidArgument(name, .constraint, help) }
        return value
    }
}
