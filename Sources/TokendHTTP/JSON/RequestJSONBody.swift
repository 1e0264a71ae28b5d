import Hummingbird
import TokendCore

extension Request {
    /// Reads the whole body (at most `RequestLimits.bodyBytes`) as a JSON document.
    /// An empty body, bytes that are not UTF-8 JSON, nesting deeper than the limit or a key
    /// given twice is an `invalid_arguments` error naming the body, before anything is
    /// interpreted.
    func jsonBody() async throws -> JSONValue {
        guard let value = try await optionalJSONBody() else {
            throw TokendError.invalidArgument("body", .required, "a JSON object body is required")
        }
        return value
    }

    /// The same, for endpoints whose body may be left out: nil when it is empty.
    func optionalJSONBody() async throws -> JSONValue? {
        let buffer = try await body.collect(upTo: RequestLimits.bodyBytes)
        guard buffer.readableBytes > 0 else { return nil }
        return try JSONShape.decode(Array(buffer.readableBytesView))
    }
}

/// How every JSON text from a client is read (request bodies, a session token's header).
package enum JSONShape {
    /// A text's bytes as a JSON document, or the `invalid_arguments` error naming the body
    /// that `JSONReader` found first.
    package static func decode(_ bytes: [UInt8]) throws(TokendError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(TokendError) in
            var reader = JSONReader(buffer)
            return try reader.document()
        }
    }
}
