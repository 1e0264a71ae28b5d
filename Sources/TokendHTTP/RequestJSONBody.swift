import Foundation
import Hummingbird
import TokendCore

extension Request {
    /// Reads the whole body (at most `RequestLimits.bodyBytes`) as a JSON document.
    /// An empty body, bytes that are not JSON, or nesting deeper than the limit is an
    /// `invalid_arguments` error naming the body, before anything is interpreted.
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
        let bytes = buffer.readableBytesView
        guard JSONNesting.depth(of: bytes) <= RequestLimits.jsonDepth else {
            throw TokendError.invalidArgument("body", .constraint, "the body nests deeper than \(RequestLimits.jsonDepth) levels")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw TokendError.invalidArgument("body", .format, "the request body is not valid JSON (UTF-8)")
        }
    }
}

/// Measures how deep a JSON text nests, without parsing it: a guard that runs before the
/// (recursive) decoder sees a hostile body.
enum JSONNesting {
    static func depth(of bytes: some Sequence<UInt8>) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
