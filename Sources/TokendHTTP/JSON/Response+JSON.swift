import HTTPTypes
import Hummingbird
import TokendCore

extension Response {
    /// A JSON answer. Every tokend response, errors and 204s included, says it is JSON:
    /// the Go SDK refuses to decode a success body without this header.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

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

    /// A JSON answer written by a `JSONWriter`, without a detour through `String`.
    static func json(_ writer: JSONWriter, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// `204 No Content`, still typed as JSON like the public API's delete.
    static var noContent: Response {
        Response(status: .noContent, headers: [.contentType: "application/json"])
    }
}
