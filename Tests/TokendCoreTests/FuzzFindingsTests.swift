import Testing

@testable import TokendCore

/// What the fuzz targets (Fuzz/, docs/fuzzing.md) found in the core's parsers: each input as
/// it was found, and what the parser now answers.
@Suite struct FuzzFindingsTests {
    /// FuzzIdentifiers: 32 bytes after `key_` that are fewer than 32 characters trapped
    /// (String index out of bounds) where the dashes of the UUID go in.
    @Test(arguments: [
        "key_" + String(repeating: "é", count: 16), "key_" + String(repeating: "€", count: 10) + "ab",
        "key_\u{301}" + String(repeating: "a", count: 30),
    ])
    func aKeyIDOfMultibyteCharactersIsNotFound(text: String) {
        #expect(throws: TokendError.notFound(resource: "key", resourceID: text)) { try KeyID.parse(text) }
    }

    @Test func aKeyIDOfLowercaseHexStillParses() throws {
        let key = try KeyID.parse("key_019a00000000700080000000000000ab")
        #expect(key.tokenID.rawValue == "019a0000-0000-7000-8000-0000000000ab")
        #expect(throws: TokendError.self) { try KeyID.parse("key_019A00000000700080000000000000AB") }
    }

    /// FuzzTimestamp: a time of year 0000 with an offset east of UTC lies before year 0000 in
    /// UTC; it parsed, then trapped when written (a negative year's digits).
    @Test(arguments: ["0000-01-01T00:00:00+00:01", "0000-01-01T00:00:00.999999+23:59"])
    func aTimeBeforeYearZeroInUTCIsRefused(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func theFirstAndLastWritableTimesReadBack() throws {
        for text in ["0000-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z"] {
            #expect(try #require(Timestamp(rfc3339: text)).rfc3339 == text)
        }
        #expect(Timestamp(rfc3339: "0000-01-01T00:00:00-00:01")?.rfc3339 == "0000-01-01T00:01:00.000000Z")
    }

    /// FuzzSecret (the 10-minute run): `xag_` and a combining mark was read by bytes as a key's
    /// shape but not claimed as a key, its `_` joined into another character.
    @Test(arguments: ["xag_\u{59E}Aquenhiklnlams", "xag_\u{301}" + String(repeating: "a", count: 31)])
    func aKeyThatStartsWithACombiningMarkIsClaimedByItsBytes(text: String) {
        #expect(XScalerKeyFormat.claims(text))
        #expect(!XScalerKeyFormat.isWellFormed(text))
        #expect(!XScalerKeyFormat.claims("tkd_frpar_" + text))
    }

    /// FuzzRequestBody: a portal body with a field named "" was refused naming the argument
    /// "", which names nothing; it is the body's problem.
    @Test func anUnknownFieldWithNoNameIsTheBodysProblem() {
        let body = JSONValue.object(["name": .string("abc"), "": .string("")])
        for parse in [{ _ = try NewTenant.parse(body: body) }, { _ = try NewKey.parse(body: body) }] as [() throws -> Void] {
            #expect {
                try parse()
            } throws: { error in
                guard case .invalidArguments(let problems) = error as? TokendError else { return false }
                return problems.map(\.argumentName) == ["body"] && problems.map(\.reason) == [.unknown]
            }
        }
    }
}
