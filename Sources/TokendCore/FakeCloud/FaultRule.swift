/// A failure a test suite asks for on purpose (`POST /_tokend/faults`), in the spirit of
/// LocalStack's Chaos API: which requests it hits, what it does to them, how often.
package struct FaultRule: Sendable, Hashable {
    package enum Effect: Sendable, Hashable {
        /// Answer this status (429, 500 or 503) with the dialect's own error body; 429 and
        /// 503 carry `Retry-After`.
        case status(Int, retryAfterSeconds: Int?)
        /// Answer as usual, this many milliseconds late.
        case delay(milliseconds: Int)
        /// Close the connection without an answer.
        case drop
    }

    package let id: Int
    /// Nil: any region (a portal request has no region in its path, so only nil matches it).
    package let region: RegionName?
    /// Nil: any dialect.
    package let dialect: RequestDialect?
    /// Nil: any operation (`create`, `list`, `verify`, `create_tenant`, …; see `RequestDialect`).
    package let operation: String?
    package let effect: Effect
    /// The chance that a matching request is hit, from 0 (never) to 1 (always).
    package let probability: Double
    /// How many requests it may hit at most; nil: no limit.
    package let count: Int?

    /// The rule a request asked for, under the id the injector gives it.
    init(id: Int, _ asked: Request) {
        self.id = id
        (region, dialect, operation, effect, probability, count) =
            (asked.region, asked.dialect, asked.operation, asked.effect, asked.probability, asked.count)
    }

    func matches(_ request: ClassifiedRequest) -> Bool {
        (dialect == nil || dialect == request.dialect) && (region == nil || region == request.region)
            && (operation == nil || operation == request.operation)
    }
}

/// Which API a request speaks.
package enum RequestDialect: String, Sendable, Hashable, CaseIterable {
    case cockpit
    case xscaler
    /// `/_tokend/verify`, for either face's credentials.
    case dataPlane = "data_plane"
    /// tokend's own endpoints (`/_tokend/…`, the console): never hit by faults.
    case tokend
}

/// A request as the fake cloud's journal and faults see it.
package struct ClassifiedRequest: Sendable, Hashable {
    package let dialect: RequestDialect
    package let region: RegionName?
    package let operation: String

    package init(dialect: RequestDialect, region: RegionName?, operation: String) {
        self.dialect = dialect
        self.region = region
        self.operation = operation
    }
}
