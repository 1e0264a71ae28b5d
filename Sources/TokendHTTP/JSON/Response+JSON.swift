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
