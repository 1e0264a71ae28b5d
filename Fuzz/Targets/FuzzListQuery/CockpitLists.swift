import TokendCore
import TokendFuzzSupport

func checkTokenList(_ values: (Substring) -> [String]) {
    var arguments = ListArguments()
    arguments.projectID = values("project_id")
    arguments.tokenScopes = values("token_scopes")
    arguments.page = values("page")
    arguments.pageSize = values("page_size")
    arguments.orderBy = values("order_by")
    for access in [ProjectAccess.all, .only([visibleProject])] {
        let query = checkQuery(
            "token list", arguments: ["project_id", "token_scopes", "page", "page_size", "order_by"],
            parse: { () throws(TokendError) in try TokenListQuery.parse(arguments, access: access) },
            writtenBack: { query throws(TokendError) in
                var written = ListArguments()
                if case .only(let projects) = query.projects, access == .all { written.projectID = projects.map(\.rawValue) }
                written.tokenScopes = query.requiredScopes.members.map(\.rawValue)
                (written.page, written.pageSize) = query.paging.asArguments
                written.orderBy = [query.order.rawValue]
                return try TokenListQuery.parse(written, access: access)
            })
        guard let query else { continue }
        checkPaging(query.paging, "token list")
        if case .only(let projects) = query.projects {
            invariant(projects.allSatisfy(access.allows), "the token list widened \(access) to \(projects)")
        }
    }
}

func checkActivityList(_ values: (Substring) -> [String]) {
    let (project, token, page, pageSize) = (values("project_id"), values("token_id"), values("page"), values("page_size"))
    for access in [ProjectAccess.all, .only([visibleProject])] {
        let query = checkQuery(
            "activity list", arguments: ["project_id", "token_id", "page", "page_size"],
            parse: { () throws(TokendError) in
                try ActivityQuery.parse(projectID: project, tokenID: token, page: page, pageSize: pageSize, access: access)
            },
            writtenBack: { query throws(TokendError) in
                var project: [String] = []
                if case .only(let projects) = query.projects, access == .all { project = projects.map(\.rawValue) }
                let paging = query.paging.asArguments
                return try ActivityQuery.parse(
                    projectID: project, tokenID: query.tokenID.map { [$0.rawValue] } ?? [], page: paging.page, pageSize: paging.pageSize,
                    access: access)
            })
        if let query { checkPaging(query.paging, "activity list") }
    }
}
