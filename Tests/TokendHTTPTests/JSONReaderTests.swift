import Testing
import TokendCore

@testable import TokendHTTP

/// The body reader's own grammar (RFC 8259): what it reads, what it refuses, and which
/// error a refusal is. Every JSON type's value is in JSONBodyTypeTests.
@Suite struct JSONReaderTests {
    private static let invalid = TokendError.invalidArgument("body", .format, "the request body is not valid JSON (UTF-8)")

    @Test(arguments: [
        (#""a\"b\\c\/d""#, #"a"b\c/d"#),
        (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
        (#""\u0041\u00e9\u20AC""#, "Aé€"),
        (#""\ud83d\ude00 smiles""#, "😀 smiles"),
        (#""before \u0000 after""#, "before \u{0} after"),
        ("\"é raw, and 😀\"", "é raw, and 😀"),
        (#""prefix é then \n""#, "prefix é then \n"),
        (#""""#, ""),
    ])
    func stringsReadTheirEscapesAndUTF8(text: String, expected: String) throws {
        #expect(try read(text) == .string(expected))
    }

    @Test(arguments: [
        ("0", 0.0), ("0e1", 0), ("0E+2", 0), ("12", 12), ("-12.5", -12.5), ("1e3", 1000), ("1E+3", 1000), ("25e-1", 2.5),
        ("0.1", 0.1), ("123456789012345678901234567890", 123456789012345678901234567890.0), ("1e-400", 0),
    ])
    func numbersReadAsTheirNearestDouble(text: String, expected: Double) throws {
        #expect(try read(text) == .number(expected))
    }

    @Test func minusZeroKeepsItsSign() throws {
        let value = try read("-0")
        guard case .number(let zero) = value else {
            Issue.record("-0 read as \(value)")
            return
        }
        #expect(zero == 0 && zero.sign == .minus)
    }

    @Test func whitespaceAndALeadingByteOrderMarkAreIgnored() throws {
        #expect(try read(" \t\r\n{ \"a\" : [ 1 , true ] } \n") == .object(["a": .array([.number(1), .bool(true)])]))
        #expect(try JSONShape.decode([0xEF, 0xBB, 0xBF] + Array("[]".utf8)) == .array([]))
    }

    @Test(arguments: [
        "", " ", "{", "[", "}", "{\"a\"}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{1:2}", "[1 2]", "[1,,2]", "[,1]", "{,\"a\":1}",
        "01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "1e400", "-1e400", "NaN", "Infinity",
        "tru", "truex", "nul", "True", "\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\ud83d\"", "\"\\ud83d\\u0041\"", "\"\\ude00\"", "\"tab\there\"", "\"line\nbreak\"", "1 2", "{} {}", "[] x",
        "'single'", "{\"a\":1}/*comment*/", "\"\\", "\"\\u12", "\"\\ud83d", "\"\\ud83d\\", "\"\\ud83d\\u12", "\"abc",
    ])
    func malformedTextIsTheGenericRefusal(text: String) {
        #expect(throws: Self.invalid) { try read(text) }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        for bytes: [UInt8] in [
            Array("\"".utf8) + [0xFF] + Array("\"".utf8),  // never valid
            Array("\"".utf8) + [0xC3] + Array("\"".utf8),  // a sequence cut short
            Array("\"".utf8) + [0xED, 0xA0, 0x80] + Array("\"".utf8),  // a surrogate written as UTF-8
            Array("\"\\n".utf8) + [0xC0, 0xAF] + Array("\"".utf8),  // overlong, after an escape
            [0xFF] + Array("1".utf8), Array("{\"a\":1}".utf8) + [0x00],
        ] {
            #expect(throws: Self.invalid) { try JSONShape.decode(bytes) }
        }
    }

    @Test func aKeyGivenTwiceIsNamedEvenWhenWrittenDifferentlyOrFollowedByBadJSON() {
        for text in [#"{"a": 1, "a": 2}"#, #"{"a": 1, "\u0061": 2}"#, #"{"x": {"a": 1, "b": 2, "a": }}"#] {
            #expect(throws: TokendError.invalidArgument("body", .format, "the key \"a\" appears twice in one object")) {
                try read(text)
            }
        }
        // Keys are compared as Swift compares strings: "é" precomposed and "e" with a combining accent are one key.
        #expect(throws: TokendError.invalidArgument("body", .format, "the key \"e\u{301}\" appears twice in one object")) {
            try read("{\"\u{E9}\": 1, \"e\u{301}\": 2}")
        }
        // The same key in two objects is no repeat.
        #expect(throws: Never.self) { try read(#"[{"a": 1}, {"a": 2}]"#) }
    }

    @Test func aCommaBeforeAClosingBracketIsNamed() {
        for text in ["[1,]", "{\"a\": 1 , }", "[[1], {\"b\": [2,\n]}]", "[,]", "{ , }", "[1,,]"] {
            #expect(
                throws: TokendError.invalidArgument("body", .format, "the request body is not valid JSON: a comma before a closing bracket")
            ) {
                try read(text)
            }
        }
    }

    @Test func nestingIsLimited() throws {
        let deepest = RequestLimits.jsonDepth
        var nested = JSONValue.array([])
        for _ in 1..<deepest { nested = .array([nested]) }
        #expect(try read(String(repeating: "[", count: deepest) + String(repeating: "]", count: deepest)) == nested)
        #expect(throws: TokendError.invalidArgument("body", .constraint, "the body nests deeper than \(deepest) levels")) {
            try read(String(repeating: "[", count: deepest + 1) + String(repeating: "]", count: deepest + 1))
        }
        #expect(throws: TokendError.invalidArgument("body", .constraint, "the body nests deeper than \(deepest) levels")) {
            try read(String(repeating: "{\"a\":", count: deepest + 1) + "1" + String(repeating: "}", count: deepest + 1))
        }
    }

    private func read(_ text: String) throws -> JSONValue { try JSONShape.decode(Array(text.utf8)) }
}
