import HTTPTypes
import Hummingbird
import TokendCore

extension Response {
    /// The contract's answer to an error, with `Retry-After` when a retry can succeed: the
    /// rate limit's own wait for a 429, and a second for a 503 (a region or store that cannot
    /// answer now), so retrying clients (the Terraform provider, SDK retry loops) back off.
    static func contractError(_ error: TokendError) -> Response {
        var response = Response.json(error.json, status: error.status)
        switch error {
        case .tooManyRequests(_, let seconds): response.headers[.retryAfter] = String(seconds)
        case .unavailable: response.headers[.retryAfter] = String(unavailableRetryAfterSeconds)
        default: break
        }
        return response
    }

    static let unavailableRetryAfterSeconds = 1
}
