import HTTPTypes
import Hummingbird
import TokendCore

extension Response {
    /// The contract's answer to an error, with `Retry-After` when a retry can succeed: the
    /// rate limit's own wait for a 429, and a second for a 503 (a region or store that cannot
    /// answer now), so retrying clients (the Terraform provider, SDK retry loops) back off.
    static func contractError(_ error: TokendError) -> Response { Response(WholeAnswer.contractError(error)) }

    /// A response of a head and a body held whole.
    init(_ answer: WholeAnswer) {
        self.init(status: answer.head.status, headers: answer.head.headerFields, body: ResponseBody(byteBuffer: answer.body))
    }

    static let unavailableRetryAfterSeconds = 1
}

/// An answer's head and its whole body: what `Response` is made from, and what the gateway's
/// channel relay writes itself, below Hummingbird, where no `Response` is written.
struct WholeAnswer {
    var head: HTTPResponse
    let body: ByteBuffer

    static func contractError(_ error: TokendError) -> WholeAnswer {
        var answer = WholeAnswer(
            head: HTTPResponse(status: error.status, headerFields: [.contentType: "application/json"]),
            body: ByteBuffer(bytes: error.json.bytes))
        switch error {
        case .tooManyRequests(_, let seconds): answer.head.headerFields[.retryAfter] = String(seconds)
        case .unavailable: answer.head.headerFields[.retryAfter] = String(Response.unavailableRetryAfterSeconds)
        default: break
        }
        return answer
    }
}
