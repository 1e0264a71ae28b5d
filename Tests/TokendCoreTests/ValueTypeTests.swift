import Foundation
import Testing

@testable import TokendCore

@Suite struct ValueTypeTests {
    @Test(arguments: ["fr-par", "nl-ams", "pl-waw", "us-east1", "ab-cdefghij"])
    func validRegionNamesRoundTripThroughTheirHint(name: String) throws {
        let region = try #require(RegionName(name))
        #expect(RegionName(secretHint: region.secretHint) == region)
        #expect(!region.secretHint.contains("-"))
    }

    @Test(arguments: ["", "fr", "frpar", "FR-PAR", "fr_par", "f-par", "fr-p", "fr-parisfrance", "fr-pa r", "fr-par/..", "1r-par"])
    func malformedRegionNamesAreRejected(name: String) {
        #expect(RegionName(name) == nil)
    }

    @Test func uuidsAreCheckedAndLowercased() {
        #expect(CanonicalUUID("AAAAAAAA-0000-4000-8000-00000000000F")?.rawValue == "aaaaaaaa-0000-4000-8000-00000000000f")
        for bad in [
            "", "aaaaaaaa00004000800000000000000f", "aaaaaaaa-0000-4000-8000-00000000000g", "aaaaaaaa-0000-4000-8000-00000000000ff",
            "{aaaaaaaa-0000-4000-8000-00000000000f}",
        ] {
            #expect(CanonicalUUID(bad) == nil, "\(bad)")
        }
        // Every byte at every position of a valid id: accepted exactly where the canonical
        // form allows it (a hex digit of either case between the dashes, a dash at each dash).
        // Foundation's parser is no reference: it also takes spaces, signs and 0x prefixes.
        // The parser reads eight bytes at a time, so each byte is tried in each lane, the
        // non-ASCII ones (which a String would turn into three) through the bytes' own parser.
        let valid = Array("0123abcd-ef45-4789-8abc-def012345678".utf8)
        let hexDigits = Set("0123456789abcdefABCDEF".utf8)
        for position in valid.indices {
            for byte in UInt8.min...UInt8.max {
                var bytes = valid
                bytes[position] = byte
                let allowed = [8, 13, 18, 23].contains(position) ? byte == UInt8(ascii: "-") : hexDigits.contains(byte)
                let parsed = bytes.withUnsafeBufferPointer { CanonicalUUID(utf8: $0) }
                #expect((parsed != nil) == allowed, "byte \(byte) at \(position)")
                #expect(parsed.map { $0.rawValue == String(decoding: bytes, as: UTF8.self).lowercased() } ?? true)
                if byte < 0x80 {
                    #expect((CanonicalUUID(String(decoding: bytes, as: UTF8.self)) != nil) == allowed, "byte \(byte) at \(position)")
                }
            }
        }
        let random = CanonicalUUID.random()
        #expect(UUID(uuidString: random.rawValue) != nil)
        #expect(random.rawValue == random.rawValue.lowercased())
        #expect(Array(random.rawValue)[14] == "4")
    }

    /// A UUID is held as its bytes: its order and equality must be its text's, its hash
    /// consistent with that equality.
    @Test func uuidsCompareAsTheirCanonicalTextDoes() throws {
        let ids =
            (0..<500).map { _ in CanonicalUUID.random() }
            + [
                "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "0fffffff-ffff-ffff-ffff-ffffffffffff",
                "ffffffff-ffff-ffff-0000-000000000000",
            ].map { CanonicalUUID($0)! }
        #expect(ids.sorted().map(\.rawValue) == ids.map(\.rawValue).sorted())
        for id in ids {
            let text = id.rawValue
            #expect(CanonicalUUID(text) == id && CanonicalUUID(text.uppercased()) == id)
            // Written into the start of a larger buffer (a JSON writer's), nothing past it touched.
            var written = [UInt8](repeating: UInt8(ascii: "x"), count: 40)
            written.withUnsafeMutableBufferPointer { id.writeCanonicalText(into: $0) }
            #expect(written == Array("\(text)xxxx".utf8))
        }
        #expect(Set(ids).count == Set(ids.map(\.rawValue)).count)
        let mixed = try #require(CanonicalUUID("0123ABCD-EF45-4789-8ABC-DEF012345678"))
        #expect(mixed.rawValue == "0123abcd-ef45-4789-8abc-def012345678")
    }

    @Test func timeOrderedIDsAreVersion7AndSortByTheirMillisecond() {
        let earlier = CanonicalUUID.timeOrdered(at: Timestamp(microsecondsSinceEpoch: 1_786_121_863_168_927))
        let later = CanonicalUUID.timeOrdered(at: Timestamp(microsecondsSinceEpoch: 1_786_121_863_170_000))
        #expect(earlier < later)
        #expect(UUID(uuidString: earlier.rawValue) != nil)
        #expect(Array(earlier.rawValue)[14] == "7")
        #expect(["8", "9", "a", "b"].contains(Array(earlier.rawValue)[19]))
        #expect(earlier.rawValue.hasPrefix("019"))
        #expect(Set((0..<100).map { _ in CanonicalUUID.timeOrdered(at: .now()) }).count == 100)
    }

    @Test func timestampsAreRFC3339WithMicrosecondsInUTC() {
        #expect(Timestamp(microsecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSinceEpoch: 1_786_121_863_168_927).rfc3339 == "2026-08-07T16:57:43.168927Z")
        #expect(Timestamp(microsecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999999Z")
        let now = Timestamp.now()
        let parsed = ISO8601DateFormatter().date(from: String(now.rfc3339.prefix(19)) + "Z")!
        #expect(abs(parsed.timeIntervalSince1970 - Double(now.microsecondsSinceEpoch) / 1e6) < 1)
    }

    @Test func namesFollowThePublicRule() {
        for good in ["abc", "A_b-9", String(repeating: "z", count: 50)] { #expect(TokenName(good) != nil, "\(good)") }
        for bad in ["ab", String(repeating: "z", count: 51), "a b", "abc!", "é-abc", "abc\u{0}"] {
            #expect(TokenName(bad) == nil, "\(bad)")
        }
        #expect(TokenName.generated().rawValue.count == 14)
    }

    @Test func scopeSetsCollapseDuplicatesAndKeepTheEnumOrder() throws {
        let scopes = try TokenScopes.parse(["read_only_traces", "write_only_metrics", "read_only_traces"], argument: "s", requireOne: true)
        #expect(scopes.members == [.writeOnlyMetrics, .readOnlyTraces])
        #expect(scopes.isSuperset(of: TokenScopes([.readOnlyTraces])))
        #expect(!scopes.isSuperset(of: TokenScopes([.readOnlyTraces, .readOnlyLogs])))
        #expect(TokenScopes(TokenScope.allCases).bitmask == 0x1FF)
    }
}

@Suite struct TimestampParsingTests {
    @Test(arguments: [
        ("2026-08-07T16:57:43.168927Z", "2026-08-07T16:57:43.168927Z"),
        ("2026-08-07T16:57:43Z", "2026-08-07T16:57:43.000000Z"),
        ("2026-08-07T18:57:43.1+02:00", "2026-08-07T16:57:43.100000Z"),
        ("2026-08-07t16:57:43.123456789z", "2026-08-07T16:57:43.123456Z"),
        ("2028-02-29T00:00:00Z", "2028-02-29T00:00:00.000000Z"),
    ])
    func validTimesParseToUTCMicroseconds(text: String, expected: String) {
        #expect(Timestamp(rfc3339: text)?.rfc3339 == expected)
    }

    @Test(arguments: [
        "2030-02-31T00:00:00Z", "2030-04-31T12:00:00Z", "2027-02-29T00:00:00Z", "2030-01-01T00:00:60Z",
        "2030-01-01T00:00:00+99:99", "2030-01-01T24:00:00Z", "9999-12-31T23:59:59-23:59", "2030-01-01 00:00:00Z",
        "2030-01-01T00:00:00", "2030-01-01T00:00:00.Z", "tomorrow", "",
    ])
    func impossibleOrMalformedTimesAreRefused(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}
