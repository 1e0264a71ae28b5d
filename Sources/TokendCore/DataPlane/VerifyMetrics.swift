import CoreMetrics

/// What a verify ends in: let through, or why it was refused, as a region's usage counts the
/// refusal (`UsageLedger.Denial.reason`) and `/metrics` labels it; `unavailable` when the
/// store could not be read.
package enum VerifyOutcome: String, CaseIterable, Sendable {
    case allowed, malformed, otherRegion = "other_region", tenantHeader = "tenant_header", unknown, expired, tenant, suspended
    case operation, scope, rateLimited = "rate_limited", unavailable
}

/// Verify's counts for `/metrics`: every answer by its outcome, the credential cache's hits
/// and misses, rate-limit refusals by what was limited. The handles are made once, when the
/// region opens, so the hot path only adds one to a counter.
struct VerifyMetrics: Sendable {
    private let byOutcome: [VerifyOutcome: Counter]
    private let cacheHits: Counter
    private let cacheMisses: Counter
    private let tokenRateLimited: Counter
    private let tenantRateLimited: Counter

    init(region: RegionName, factory: any MetricsFactory) {
        let region = ("region", region.rawValue)
        var byOutcome: [VerifyOutcome: Counter] = [:]
        for outcome in VerifyOutcome.allCases {
            byOutcome[outcome] = Counter(
                label: "tokend_verify_total", dimensions: [region, ("outcome", outcome.rawValue)], factory: factory)
        }
        self.byOutcome = byOutcome
        cacheHits = Counter(label: "tokend_credential_cache_lookups_total", dimensions: [region, ("result", "hit")], factory: factory)
        cacheMisses = Counter(label: "tokend_credential_cache_lookups_total", dimensions: [region, ("result", "miss")], factory: factory)
        tokenRateLimited = Counter(label: "tokend_rate_limit_refusals_total", dimensions: [region, ("limit", "token")], factory: factory)
        tenantRateLimited = Counter(label: "tokend_rate_limit_refusals_total", dimensions: [region, ("limit", "tenant")], factory: factory)
    }

    func answered(_ outcome: VerifyOutcome) { byOutcome[outcome]?.increment() }

    func cacheLookup(hit: Bool) { (hit ? cacheHits : cacheMisses).increment() }

    enum Limit { case token, tenant }

    func rateLimited(_ limit: Limit) {
        switch limit {
        case .token: tokenRateLimited.increment()
        case .tenant: tenantRateLimited.increment()
        }
    }
}
