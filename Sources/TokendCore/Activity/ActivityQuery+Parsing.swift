extension ActivityQuery {
    /// Validates an activity list request: `project_id`, `token_id`, `page`, `page_size`.
    package static func parse(
        projectID: [String], tokenID: [String], page: [String], pageSize: [String],
        access: ProjectAccess
    ) throws(TokendError) -> ActivityQuery {
        var check = ArgumentCheck()
        let project = check.attempt { () throws(TokendError) in try QueryArgument.id(projectID, "project_id", as: ProjectID.self) } ?? nil
        let token = check.attempt { () throws(TokendError) in try QueryArgument.id(tokenID, "token_id", as: TokenID.self) } ?? nil
        let paging = Paging.parse(page: page, pageSize: pageSize, into: &check)
        try check.finish()
        return ActivityQuery(projects: try QueryArgument.projects(project, within: access), tokenID: token, paging: paging)
    }
}
