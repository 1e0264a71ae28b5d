/// A list request's query arguments as they arrived: every value given for each name.
package struct ListArguments: Sendable {
    package var projectID: [String] = []
    package var tokenScopes: [String] = []
    package var page: [String] = []
    package var pageSize: [String] = []
    package var orderBy: [String] = []

    package init() {}
}

extension TokenListQuery {
    /// Validates a list request's arguments against what the caller may see.
    package static func parse(_ arguments: ListArguments, access: ProjectAccess) throws(TokendError) -> TokenListQuery {
        var check = ArgumentCheck()
        let projectID =
            check.attempt { () throws(TokendError) in try QueryArgument.id(arguments.projectID, "project_id", as: ProjectID.self) } ?? nil
        let scopes = check.attempt { () throws(TokendError) in
            try TokenScopes.parse(arguments.tokenScopes.filter { !$0.isEmpty }, argument: "token_scopes", requireOne: false)
        }
        let order =
            check.attempt { () throws(TokendError) in
                try QueryArgument.single(arguments.orderBy, "order_by").map { text throws(TokendError) in
                    guard let order = TokenOrder(rawValue: text) else {
                        throw .invalidArgument(
                            "order_by", .format,
                            "order_by must be one of: "
                                + TokenOrder.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    return order
                }
            } ?? nil
        let paging = Paging.parse(page: arguments.page, pageSize: arguments.pageSize, into: &check)
        try check.finish()
        return TokenListQuery(
            projects: try QueryArgument.projects(projectID, within: access),
            requiredScopes: scopes ?? TokenScopes(bitmask: 0), order: order ?? .default, paging: paging)
    }
}
