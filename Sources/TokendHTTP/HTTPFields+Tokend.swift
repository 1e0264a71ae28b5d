import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let authToken = HTTPField.Name("X-Auth-Token")!
}

extension Response {
    /// A JSON answer. Every tokend response, errors and 204s included, says it is JSON:
    /// the Go SDK refuses to decode a success body without this header.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// `204 No Content`, still typed as JSON like the public API's delete.
    static var noContent: Response {
        Response(status: .noContent, headers: [.contentType: "application/json"])
    }
}
