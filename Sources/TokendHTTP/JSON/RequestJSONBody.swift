import Foundation
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

/// Checks a JSON text before the decoder sees it, for what the decoder would let through
/// or handle badly:
/// - bytes that are not UTF-8 (Foundation would also accept UTF-16 and UTF-32, which
///   RFC 8259 does not allow between systems), and raw NULs;
/// - nesting deeper than `RequestLimits.jsonDepth` (the decoder recurses);
/// - an object key given twice (the decoder keeps one silently, and another parser in
///   front of us might keep the other: both must read a body the same way);
/// - a comma before a closing bracket, which RFC 8259 does not allow and Foundation's
///   decoder lets through.
package enum JSONShape {
    private struct Container {
        let isObject: Bool
        var expectingKey: Bool
        var keys: Set<String> = []
    }

    /// A body's bytes as a JSON document, checked first: how every request body is read.
    package static func decode(_ bytes: [UInt8]) throws(TokendError) -> JSONValue {
        try check(bytes)
        do {
            // A body is nearly always an object: read as one, it skips JSONValue's four failed
            // attempts (thrown errors) at other types.
            let first = bytes.first { !isWhitespace($0) }
            if first == UInt8(ascii: "{") {
                return .object(try JSONDecoder().decode([String: JSONValue].self, from: Data(bytes)))
            }
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw TokendError.invalidArgument("body", .format, "the request body is not valid JSON (UTF-8)")
        }
    }

    static func check(_ bytes: [UInt8]) throws(TokendError) {
        guard String(validating: bytes, as: UTF8.self) != nil, !bytes.contains(0) else {
            throw .invalidArgument("body", .format, "the request body is not valid JSON (UTF-8)")
        }
        var stack: [Container] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let end = closingQuote(bytes, after: index)
                if var top = stack.last, top.isObject, top.expectingKey {
                    // Keys are compared decoded, so "a" and "\u0061" are the same key; one
                    // without a backslash is its own bytes.
                    let raw = bytes[index...min(end, bytes.count - 1)]
                    let key =
                        raw.contains(UInt8(ascii: "\\"))
                        ? try? JSONDecoder().decode(String.self, from: Data(raw))
                        : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                    if let key {
                        guard top.keys.insert(key).inserted else {
                            throw .invalidArgument("body", .format, "the key \"\(key.prefix(64))\" appears twice in one object")
                        }
                    }
                    top.expectingKey = false
                    stack[stack.count - 1] = top
                }
                index = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append(Container(isObject: bytes[index] == UInt8(ascii: "{"), expectingKey: true))
                guard stack.count <= RequestLimits.jsonDepth else {
                    throw .invalidArgument("body", .constraint, "the body nests deeper than \(RequestLimits.jsonDepth) levels")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true }
                let next = bytes[(index + 1)...].first { !isWhitespace($0) }
                if next == UInt8(ascii: "}") || next == UInt8(ascii: "]") {
                    throw .invalidArgument("body", .format, "the request body is not valid JSON: a comma before a closing bracket")
                }
            default:
                break
            }
            index += 1
        }
    }

    /// JSON's insignificant whitespace (RFC 8259: space, tab, line feed, carriage return).
    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// The index of the quote that closes the string opening at `start` (or the last byte).
    private static func closingQuote(_ bytes: [UInt8], after start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index
            default: index += 1
            }
        }
        return bytes.count - 1
    }
}
