import Synchronization

/// Requests per second allowed on the data plane; nil means unlimited.
package struct RateLimits: Sendable, Hashable {
    package var perToken: Double?
    package var perTenant: Double?

    package init(perToken: Double? = nil, perTenant: Double? = nil) {
        self.perToken = perToken
        self.perTenant = perTenant
    }

    package static let unlimited = RateLimits()
}

/// What a rate limit counts against: one token, or one tenant (a project) across its tokens.
enum RateLimitKey: Hashable {
    case token(TokenID)
    case tenant(ProjectID)
}

/// Token buckets, one per key, each holding up to one second's worth of requests.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Timestamp
    }

    private let buckets = Mutex<[RateLimitKey: Bucket]>([:])

    /// Takes one request from the bucket of `key`; when it is empty, returns how many whole
    /// seconds until it holds one again (for `Retry-After`).
    func admit(_ key: RateLimitKey, rate: Double, at now: Timestamp) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: rate, updated: now)
            let elapsed = Double(now.microsecondsSinceEpoch - bucket.updated.microsecondsSinceEpoch) / 1_000_000
            bucket.tokens = min(rate, bucket.tokens + max(0, elapsed) * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else {
                return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Drops buckets that have refilled completely: they hold no information.
    func prune(at now: Timestamp, rate: (RateLimitKey) -> Double?) {
        buckets.withLock { buckets in
            buckets = buckets.filter { key, bucket in
                guard let rate = rate(key) else { return false }
                let elapsed = Double(now.microsecondsSinceEpoch - bucket.updated.microsecondsSinceEpoch) / 1_000_000
                return bucket.tokens + elapsed * rate < rate
            }
        }
    }
}
