import Testing

@testable import TokendCore

/// `X-Scope-OrgID` by Mimir's rules: letters, digits and `!-_.*'()`, 1 to 150 bytes each.
@Suite struct TenantHeaderTests {
    @Test(arguments: [
        "a", "Z", "0", "team-a", "a_b.c*d'e(f)g!", String(repeating: "x", count: 150), "...", "00000000-0000-4000-8000-000000000001",
    ])
    func aTenantOfTheAlphabetIsAccepted(tenant: String) throws {
        #expect(try TenantIDs.parse(tenant) == [tenant])
    }

    @Test(arguments: [
        ".", "..", "__mimir_cluster", String(repeating: "x", count: 151), "a b", "a/b", "a:b", "é", "a\"b", "a,b", "a#b", "a+b",
        "a|", "|a", "a||b",
    ])
    func anythingElseIsRefused(header: String) {
        #expect(throws: TokendError.self) { try TenantIDs.parse(header) }
    }

    @Test func severalTenantsAreSplitOnBars() throws {
        #expect(try TenantIDs.parse("a|b-c|d") == ["a", "b-c", "d"])
    }
}
