import Foundation
import Testing

@testable import TokendHTTP

/// The writer every answer goes through: plain strings are copied whole, the rest escaped.
@Suite struct JSONWriterTests {
    @Test(arguments: [
        "token-abc_123", "", "ünïcødé ✓ 🚀", "quote \" and backslash \\", "line\nbreak\ttab\rreturn",
        "nul \u{0} bell \u{7} unit separator \u{1F}", "mixed é \" \u{1}",
    ])
    func aStringReadsBackAsItWasWritten(_ value: String) throws {
        var json = JSONWriter()
        json.object { $0.field("value", value) }
        let parsed = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: String]
        #expect(parsed == ["value": value])
    }

    @Test func escapesAreTheShortForms() {
        var json = JSONWriter()
        json.object { $0.field("v", "a\"b\\c\nd\u{1}") }
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"v":"a\"b\\c\nd\u0001"}"#)
    }
}
