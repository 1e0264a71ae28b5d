import Foundation
import Testing
import TokendCore

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

    /// A timestamp equal to the one written before it is copied from the output, not formatted
    /// again: repeated, alternating and new ones all read as their own RFC 3339 text.
    @Test func repeatedTimestampsReadAsTheirOwnText() {
        let (early, late) = (Timestamp(microsecondsSinceEpoch: 1_754_584_663_168_927), Timestamp(microsecondsSinceEpoch: 86_400_000_001))
        let times = [early, early, late, early, late, late, early]
        var json = JSONWriter()
        json.array(times) { json, time in json.timestamp(time) }
        let expected = "[" + times.map { "\"\($0.rfc3339)\"" }.joined(separator: ",") + "]"
        #expect(String(decoding: json.bytes, as: UTF8.self) == expected)
        #expect(early.rfc3339 == "2025-08-07T16:37:43.168927Z" && late.rfc3339 == "1970-01-02T00:00:00.000001Z")
    }

    @Test func escapesAreTheShortForms() {
        var json = JSONWriter()
        json.object { $0.field("v", "a\"b\\c\nd\u{1}") }
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"v":"a\"b\\c\nd\u0001"}"#)
    }

    /// Every kind of value after every other, in objects and arrays: each is written in one
    /// step with its separator, so a comma forgotten or doubled anywhere shows here.
    @Test func valuesOfEveryKindAreSeparatedOnce() throws {
        let id = try #require(CanonicalUUID("0123abcd-ef45-4789-8abc-def012345678"))
        let time = Timestamp(microsecondsSinceEpoch: 1_754_584_663_168_927)
        var json = JSONWriter()
        json.object { json in
            json.key("id")
            json.uuid(id)
            json.key("at")
            json.timestamp(time)
            json.key("again")
            json.timestamp(time)
            json.key("name")
            json.plainString("plain")
            json.field("count", 3)
            json.field(named: "data key", "v")
            json.key("list")
            json.array([0, 1, 2]) { json, index in
                switch index {
                case 0: json.uuid(id)
                case 1: json.object { $0.field("nested", true) }
                default: json.timestamp(time)
                }
            }
            json.key("empty")
            json.array([Int]()) { _, _ in }
            json.field("last", nil)
        }
        let expected = """
            {"id":"\(id.rawValue)","at":"\(time.rfc3339)","again":"\(time.rfc3339)","name":"plain","count":3,\
            "data key":"v","list":["\(id.rawValue)",{"nested":true},"\(time.rfc3339)"],"empty":[],"last":null}
            """
        #expect(String(decoding: json.bytes, as: UTF8.self) == expected)
    }
}
