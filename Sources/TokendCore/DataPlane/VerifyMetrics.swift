import CoreMetrics

/// Verify's counts for `/metrics`: every answer by its outcome, the credential cache's hits
/// and misses, rate-limit refusals by what was limited. The handles are made once, when the
/// region opens, so the hot path only adds one to a counter.
struct VerifyMetrics: Sendable {
    /// What a verify can end in: `allowed`, or the reason a refusal is counted under in the
    /// region's usage (`UsageLedger.Denial.reason`).
    static let outcomes = [
        "allowed", "malformed", "other_region", "tenant_header", "unknown", "expired", "tenant", "suspended", "operation", "scope",
        "rate_limited",
    ]

    private let byOutcome: [String: Counter]
    private let cacheHits: Counter
    private let cacheMisses: Counter
    private let tokenRateLimited: Counter
    private let tenantRateLimited: Counter

    init(region: RegionName, factory: any MetricsFactory) {
        let region = ("region", region.rawValue)
        var byOutcome: [String: Counter] = [:]
        for outcome in Self.outcomes {
            byOutcome[outcome] = Counter(label: "tokend_verify_total", dimensions: [region, ("outcome", outcome)], factory: factory)
        }
        self.byOutcome = byOutcome
        cacheHits = Counter(label: "tokend_credential_cache_lookups_total", dimensions: [region, ("result", "hit")], factory: factory)
        cacheMisses = Counter(label: "tokend_credential_cache_lookups_total", dimensions: [region, ("result", "miss")], factory: factory)
        tokenRateLimited = Counter(label: "tokend_rate_limit_refusals_total", dimensions: [region, ("limit", "token")], factory: factory)
        tenantRateLimited = Counter(label: "tokend_rate_limit_refusals_total", dimensions: [region, ("limit", "tenant")], factory: factory)
    }

    func answered(_ outcome: String) { byOutcome[outcome]?.increment() }

    func cacheLookup(hit: Bool) { (hit ? cacheHits : cacheMisses).increment() }

    enum Limit { case token, tenant }

    func rateLimited(_ limit: Limit) {
        switch limit {
        case .token: tokenRateLimited.increment()
        case .tenant: tenantRateLimited.increment()
        }
    }
}
