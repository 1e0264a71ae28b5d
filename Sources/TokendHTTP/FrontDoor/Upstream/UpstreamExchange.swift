import NIOCore
import NIOHTTP1

/// One request to a remote region's server: a path under its base URL, the headers to send
/// (hop-by-hop ones already dropped) and the whole body, read before it is sent.
struct UpstreamRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var headers: HTTPHeaders
    var body: ByteBuffer?

    init(_ method: HTTPMethod = .GET, _ path: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// A region server's whole answer.
struct UpstreamAnswer: Sendable {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    let body: ByteBuffer
    /// The connection may carry another exchange (the answer was complete and kept alive).
    let reusable: Bool

    var isJSON: Bool { headers.first(name: "content-type")?.hasPrefix("application/json") == true }
}

/// Why an exchange got no whole answer: what `RemoteRegionBackend` turns into the region's 503.
enum UpstreamFailure: Error {
    /// No answer within the deadline (or no connection within the connect timeout).
    case timeout
    /// The answer ran over the limit.
    case tooLarge
    /// The connection failed, closed or answered something that is not HTTP.
    case connection(String)
    /// The caller went away; nothing is known about the region.
    case cancelled
    /// A kept-alive connection was found closed before the request was written: the request
    /// never left, so it can go again on a new connection.
    case notSent
}
