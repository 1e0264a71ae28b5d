/// A validated list request.
package struct TokenListQuery: Sendable, Hashable {
    /// The projects to list from: one asked-for project, or all those the caller may see.
    package var projects: ProjectAccess
    /// A token matches when it holds every one of these scopes.
    package var requiredScopes: TokenScopes
    package var order: TokenOrder
    package var paging: Paging

    package init(
        projects: ProjectAccess = .all, requiredScopes: TokenScopes = TokenScopes(bitmask: 0),
        order: TokenOrder = .default, paging: Paging = Paging()
    ) {
        self.projects = projects
        self.requiredScopes = requiredScopes
        self.order = order
        self.paging = paging
    }
}

/// One page of a list, with the exact number of tokens that match across all pages.
package struct TokenPage: Sendable, Hashable {
    package let totalCount: Int
    package let tokens: [Token]

    package init(totalCount: Int, tokens: [Token]) {
        self.totalCount = totalCount
        self.tokens = tokens
    }
}
