/// The orders a list can be asked in. Ties are broken by id, so every order is total
/// and pages never overlap or skip while nothing changes.
public enum TokenOrder: String, CaseIterable, Sendable {
    case createdAtAsc = "created_at_asc"
    case createdAtDesc = "created_at_desc"
    case nameAsc = "name_asc"
    case nameDesc = "name_desc"

    public static let `default` = TokenOrder.createdAtAsc
}

/// Which projects a caller may see: every one, or a fixed set.
public enum ProjectAccess: Sendable, Hashable {
    case all
    case only(Set<ProjectID>)

    public func allows(_ project: ProjectID) -> Bool {
        switch self {
        case .all: true
        case .only(let projects): projects.contains(project)
        }
    }
}

/// A validated list request.
public struct TokenListQuery: Sendable, Hashable {
    /// The projects to list from: one asked-for project, or all those the caller may see.
    public var projects: ProjectAccess
    /// A token matches when it holds every one of these scopes.
    public var requiredScopes: TokenScopes
    public var order: TokenOrder
    public var paging: Paging

    public init(projects: ProjectAccess = .all, requiredScopes: TokenScopes = TokenScopes(bitmask: 0),
                order: TokenOrder = .default, paging: Paging = Paging()) {
        self.projects = projects
        self.requiredScopes = requiredScopes
        self.order = order
        self.paging = paging
    }
}

/// One page of a list, with the exact number of tokens that match across all pages.
public struct TokenPage: Sendable, Hashable {
    public let totalCount: Int
    public let tokens: [Token]

    public init(totalCount: Int, tokens: [Token]) {
        self.totalCount = totalCount
        self.tokens = tokens
    }
}

/// A list request's query arguments as they arrived: every value given for each name.
public struct ListArguments: Sendable {
    public var projectID: [String] = []
    public var tokenScopes: [String] = []
    public var page: [String] = []
    public var pageSize: [String] = []
    public var orderBy: [String] = []

    public init() {}
}
