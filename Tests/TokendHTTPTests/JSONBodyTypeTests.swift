import Testing
import TokendCore

@testable import TokendHTTP

/// Every JSON type comes out of the body reader as what the text says; the grammar itself is
/// in JSONReaderTests.
@Suite struct JSONBodyTypeTests {
    @Test(arguments: [
        (
            #"{"a": "x", "b": ["y", true, 2.5, null, {"c": false}], "d": {}, "e": [], "f": 0}"#,
            JSONValue.object([
                "a": .string("x"),
                "b": .array([.string("y"), .bool(true), .number(2.5), .null, .object(["c": .bool(false)])]),
                "d": .object([:]), "e": .array([]), "f": .number(0),
            ])
        ),
        (
            #"  {"nested": {"list": [[1], ["1"], [true]]}}"#,
            .object(["nested": .object(["list": .array([.array([.number(1)]), .array([.string("1")]), .array([.bool(true)])])])])
        ),
        (#"[{"a": 1}, "b"]"#, .array([.object(["a": .number(1)]), .string("b")])),
        (#""text""#, .string("text")),
        ("true", .bool(true)),
        ("-3", .number(-3)),
        ("null", .null),
    ])
    func eachValueKeepsItsType(text: String, expected: JSONValue) throws {
        #expect(try JSONShape.decode(Array(text.utf8)) == expected)
    }

    @Test func anObjectBodyIsCheckedAsItIsRead() {
        #expect(throws: TokendError.invalidArgument("body", .format, "the key \"a\" appears twice in one object")) {
            try JSONShape.decode(Array(#"{"a": 1, "a": 2}"#.utf8))
        }
        #expect(throws: TokendError.invalidArgument("body", .format, "the request body is not valid JSON (UTF-8)")) {
            try JSONShape.decode(Array(#"{"a": }"#.utf8))
        }
    }
}
