import TokendCore

/// Reads a JSON text (RFC 8259, UTF-8) as a `JSONValue` in one pass over its bytes, refusing
/// on the way what a request body must not hold:
/// - bytes that are not UTF-8, and control characters left raw in strings;
/// - nesting deeper than `RequestLimits.jsonDepth`;
/// - an object key given twice (keys compared as Swift compares strings, after escapes are
///   read: another parser in front of us might keep the other value, so both must refuse);
/// - a comma before a closing bracket; a number too large for a `Double`; a lone surrogate.
///
/// Hand-written because a measurement says so: Foundation's `JSONDecoder`, with the scan of
/// these rules before it, was 7.3 % of an ephemeral create's server CPU for a 110-byte body;
/// this reader is 0.7 % (perf, 2026-12-03, BENCHMARKS.md). It gives their errors, except
/// that it reads `0e1` and numbers that underflow to 0, which RFC 8259 allows and
/// `JSONDecoder` refused, and that a body with two faults is refused for the first one.
/// Differential fuzzing against Foundation (`FuzzRequestBody`) holds it to the same values.
struct JSONReader: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The whole text as one value, with nothing but whitespace around it.
    mutating func document() throws(TokendError) -> JSONValue {
        // RFC 8259 lets a parser ignore a leading byte order mark, as Foundation does.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        let value = try value()
        skipWhitespace()
        guard index == bytes.count else { throw Self.invalid }
        return value
    }

    private mutating func value() throws(TokendError) -> JSONValue {
        skipWhitespace()
        switch current {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: ","): throw misplacedComma()
        default: return .number(try number())
        }
    }

    private mutating func object() throws(TokendError) -> JSONValue {
        try enterContainer()
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { return .object(leaveContainer(fields)) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw current == UInt8(ascii: ",") ? misplacedComma() : Self.invalid }
            let key = try string()
            // Checked before the value is read, so a key given twice is named even when what
            // follows it is not valid.
            guard fields[key] == nil else {
                throw .invalidArgument("body", .format, "the key \"\(key.prefix(64))\" appears twice in one object")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw Self.invalid }
            index += 1
            fields[key] = try value()
            if try afterItem(closing: UInt8(ascii: "}")) { return .object(leaveContainer(fields)) }
        }
    }

    private mutating func array() throws(TokendError) -> JSONValue {
        try enterContainer()
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { return .array(leaveContainer(items)) }
        while true {
            items.append(try value())
            if try afterItem(closing: UInt8(ascii: "]")) { return .array(leaveContainer(items)) }
        }
    }

    /// After a container's item: true at its closing bracket (consumed), false after a comma
    /// that another item follows.
    private mutating func afterItem(closing: UInt8) throws(TokendError) -> Bool {
        skipWhitespace()
        switch current {
        case closing:
            return true
        case UInt8(ascii: ","):
            if commaIsBeforeClosingBracket() { throw Self.commaBeforeClosingBracket }
            index += 1
            return false
        default:
            throw Self.invalid
        }
    }

    /// Whether the comma at `index` has nothing but whitespace before a closing bracket.
    private func commaIsBeforeClosingBracket() -> Bool {
        var next = index + 1
        while next < bytes.count, Self.isWhitespace(bytes[next]) { next += 1 }
        return next < bytes.count && (bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: "]"))
    }

    /// A comma where a key or a value should be (`[,]`, `[1,,]`, `{,}`): named like a
    /// trailing one when a closing bracket follows it.
    private func misplacedComma() -> TokendError {
        commaIsBeforeClosingBracket() ? Self.commaBeforeClosingBracket : Self.invalid
    }

    private mutating func enterContainer() throws(TokendError) {
        index += 1
        depth += 1
        guard depth <= RequestLimits.jsonDepth else {
            throw .invalidArgument("body", .constraint, "the body nests deeper than \(RequestLimits.jsonDepth) levels")
        }
    }

    /// Consumes the closing bracket and hands back the container's contents.
    private mutating func leaveContainer<Contents>(_ contents: Contents) -> Contents {
        index += 1
        depth -= 1
        return contents
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(TokendError) -> JSONValue {
        let spelling = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= spelling.count, bytes[index..<index + spelling.count].elementsEqual(spelling) else {
            throw Self.invalid
        }
        index += spelling.count
        return value
    }

    // MARK: Strings

    /// The string whose opening quote is at `index`; most have no escape, and are their bytes.
    private mutating func string() throws(TokendError) -> String {
        index += 1
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return try Self.text(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            case UInt8(ascii: "\\"):
                return try escapedString(startingWith: Array(bytes[start..<index]))
            case ..<0x20:
                throw Self.invalid
            default:
                index += 1
            }
        }
        throw Self.invalid
    }

    /// The rest of a string from its first backslash (at `index`), escapes read into UTF-8.
    private mutating func escapedString(startingWith prefix: [UInt8]) throws(TokendError) -> String {
        var text = prefix
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try text.withUnsafeBufferPointer { buffer throws(TokendError) in try Self.text(buffer) }
            case UInt8(ascii: "\\"):
                try readEscape(into: &text)
            case ..<0x20:
                throw Self.invalid
            default:
                text.append(byte)
                index += 1
            }
        }
        throw Self.invalid
    }

    /// One escape sequence (its backslash at `index`), appended as the UTF-8 it stands for.
    private mutating func readEscape(into text: inout [UInt8]) throws(TokendError) {
        index += 1
        guard index < bytes.count else { throw Self.invalid }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(letter)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hexQuad()
            switch code {
            case 0xD800...0xDBFF:
                // A high surrogate stands only with the low one that must follow it.
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw Self.invalid
                }
                index += 2
                let low = try hexQuad()
                guard (0xDC00...0xDFFF).contains(low) else { throw Self.invalid }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw Self.invalid
            default:
                break
            }
            // Surrogates are handled above, so every code left is a scalar.
            UTF8.encode(Unicode.Scalar(code)!) { text.append($0) }
        default:
            throw Self.invalid
        }
    }

    /// The four hex digits of a `\u` escape.
    private mutating func hexQuad() throws(TokendError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw Self.invalid }
        var code: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Self.invalid
            }
            code = code << 4 | UInt32(digit)
        }
        index += 4
        return code
    }

    private static func text(_ utf8: UnsafeBufferPointer<UInt8>) throws(TokendError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw invalid }
        return text
    }

    // MARK: Numbers

    /// A number as RFC 8259 spells it (no leading zeros, no bare dot, no plus sign), read by
    /// the standard library's correctly rounded conversion; one beyond `Double` is refused.
    private mutating func number() throws(TokendError) -> Double {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else {
            guard skipDigits() > 0 else { throw Self.invalid }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { throw Self.invalid }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw Self.invalid }
        }
        let spelling = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let number = Double(spelling), number.isFinite else { throw Self.invalid }
        return number
    }

    /// Skips a run of digits and says how long it was.
    private mutating func skipDigits() -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }

    // MARK: Bytes

    /// The byte at `index`, or 0 (never valid there) past the end.
    private var current: UInt8 { index < bytes.count ? bytes[index] : 0 }

    private mutating func skipWhitespace() {
        while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
    }

    /// JSON's insignificant whitespace (RFC 8259: space, tab, line feed, carriage return).
    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    static let invalid = TokendError.invalidArgument("body", .format, "the request body is not valid JSON (UTF-8)")
    static let commaBeforeClosingBracket = TokendError.invalidArgument(
        "body", .format, "the request body is not valid JSON: a comma before a closing bracket")
}
