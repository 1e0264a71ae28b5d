import Foundation
import TokendCore

/// The scan that ran before Foundation's decoder until `JSONReader` replaced both
/// (2026-12-03), kept as the oracle's independent witness of the rules Foundation does not
/// enforce: a key twice, a comma before a closing bracket, nesting past the limit. It throws
/// the error the reader must throw for an input Foundation takes.
enum PreScan {
    private struct Container {
        let isObject: Bool
        var expectingKey: Bool
        var keys: Set<String> = []
    }

    static func check(_ bytes: [UInt8], depthLimit: Int) throws(TokendError) {
        var stack: [Container] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let end = closingQuote(bytes, after: index)
                if var top = stack.last, top.isObject, top.expectingKey {
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
                guard stack.count <= depthLimit else {
                    throw .invalidArgument("body", .constraint, "the body nests deeper than \(depthLimit) levels")
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
