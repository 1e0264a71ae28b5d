/// Which page of a list to answer: pages start at 1; sizes run from 1 to 1000, default 20.
package struct Paging: Sendable, Hashable {
    package static let defaultPageSize = 20
    package static let pageSizeRange = 1...1000

    package let page: Int
    package let pageSize: Int

    package init(page: Int = 1, pageSize: Int = Paging.defaultPageSize) {
        self.page = page
        self.pageSize = pageSize
    }

    /// Rows to skip, or nil when the page lies past any possible row (the page is then empty).
    package var offset: Int? {
        let (skipped, overflow) = (page - 1).multipliedReportingOverflow(by: pageSize)
        return overflow ? nil : skipped
    }

    /// Reads `page` and `page_size` as a query gives them, recording problems in `check`.
    package static func parse(page: [String], pageSize: [String], into check: inout ArgumentCheck) -> Paging {
        let page =
            check.attempt { () throws(TokendError) in
                try QueryArgument.single(page, "page").map { text throws(TokendError) in
                    try QueryArgument.integer(text, "page", in: 1...Int.max, help: "page must be a whole number, 1 or more")
                }
            } ?? nil
        let pageSize =
            check.attempt { () throws(TokendError) in
                try QueryArgument.single(pageSize, "page_size").map { text throws(TokendError) in
                    try QueryArgument.integer(text, "page_size", in: pageSizeRange, help: "page_size must be a whole number from 1 to 1000")
                }
            } ?? nil
        return Paging(page: page ?? 1, pageSize: pageSize ?? defaultPageSize)
    }
}
