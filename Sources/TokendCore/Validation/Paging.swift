/// Which page of a list to answer: pages start at 1; sizes run from 1 to 1000, default 20.
public struct Paging: Sendable, Hashable {
    public static let defaultPageSize = 20
    public static let pageSizeRange = 1...1000

    public let page: Int
    public let pageSize: Int

    public init(page: Int = 1, pageSize: Int = Paging.defaultPageSize) {
        self.page = page
        self.pageSize = pageSize
    }

    /// Rows to skip, or nil when the page lies past any possible row (the page is then empty).
    public var offset: Int? {
        let (skipped, overflow) = (page - 1).multipliedReportingOverflow(by: pageSize)
        return overflow ? nil : skipped
    }

    /// Reads `page` and `page_size` as a query gives them, recording problems in `check`.
    public static func parse(page: [String], pageSize: [String], into check: inout ArgumentCheck) -> Paging {
        let page = check.attempt { () throws(TokendError) in
            try QueryArgument.single(page, "page").map { text throws(TokendError) in
                try QueryArgument.integer(text, "page", in: 1...Int.max, help: "page must be a whole number, 1 or more")
            }
        } ?? nil
        let pageSize = check.attempt { () throws(TokendError) in
            try QueryArgument.single(pageSize, "page_size").map { text throws(TokendError) in
                try QueryArgument.integer(text, "page_size", in: pageSizeRange, help: "page_size must be a whole number from 1 to 1000")
            }
        } ?? nil
        return Paging(page: page ?? 1, pageSize: pageSize ?? defaultPageSize)
    }
}

/// Reading query arguments: empty values count as absent (the Go SDK sends `project_id=`
/// when unset); a single-valued argument given twice is refused rather than guessed at.
public enum QueryArgument {
    public static func single(_ values: [String], _ name: String) throws(TokendError) -> String? {
        let given = values.filter { !$0.isEmpty }
        guard given.count <= 1 else {
            throw .invalidArgument(name, .constraint, "\(name) was given \(given.count) times; give it once")
        }
        return given.first
    }

    static func integer(_ text: String, _ name: String, in range: ClosedRange<Int>, help: String) throws(TokendError) -> Int {
        guard let value = Int(text) else { throw .invalidArgument(name, .format, help) }
        guard range.contains(value) else { throw .invalidArgument(name, .constraint, help) }
        return value
    }

    /// An optional UUID argument, like `project_id` or `token_id`.
    public static func uuid(_ values: [String], _ name: String) throws(TokendError) -> UUIDText? {
        try single(values, name).map { text throws(TokendError) in try UUIDText.parse(text, argument: name) }
    }

    /// Narrows what a caller may see to one asked-for project, if it may see that one.
    public static func projects(_ projectID: ProjectID?, within access: ProjectAccess) throws(TokendError) -> ProjectAccess {
        guard let projectID else { return access }
        guard access.allows(projectID) else { throw .permissionsDenied(action: "read", resource: "project \(projectID)") }
        return .only([projectID])
    }
}
