import Foundation
import Testing

@testable import TokendCore

/// The portal's values: tenant, organisation and key ids, xScaler keys, scopes, password
/// hashes and roles (docs/portal.md, "Ids and secrets").
@Suite struct PortalValueTests {
    static func matches(_ text: String, _ pattern: String) -> Bool { text.wholeMatch(of: try! Regex(pattern)) != nil }

    // MARK: Tenant ids

    @Test(arguments: ["xs_default_abcdefgh", "xs_payment_ab3cd4ef", "xs_labworkshop_ij5kl6mn", "xs_a_12345678", "xs_org_abc12345"])
    func tenantIDsOfThePublishedShapeParse(text: String) throws {
        let id = try #require(TenantID(text))
        #expect(id.rawValue == text)
        #expect(try TenantID.parse(text) == id)
    }

    @Test(arguments: [
        "", "xs_", "xs_default_", "xs_default_abcdefg", "xs_default_abcdefghi", "xs__abcdefgh", "xs_abcdefgh", "xs_Default_abcdefgh",
        "xs_default_ABCDEFGH", "xx_default_abcdefgh", "XS_default_abcdefgh", "xs_de-fault_abcdefgh", "xs_a_b_abcdefgh",
        "xs_default_abcd efg", "xs_default_abcdefg!", " xs_default_abcdefgh", "xs_défault_abcdefgh",
        "xs_" + String(repeating: "a", count: 53) + "_abcdefgh",
    ])
    func malformedTenantIDsAreRefusedAndNotFoundOnAPath(text: String) {
        #expect(TenantID(text) == nil)
        #expect(throws: TokendError.notFound(resource: "tenant", resourceID: String(text.prefix(64)))) { try TenantID.parse(text) }
    }

    @Test func theLongestTenantIDIsSixtyFourCharacters() {
        let longest = "xs_" + String(repeating: "a", count: 52) + "_abcdefgh"
        #expect(longest.count == 64)
        #expect(TenantID(longest) != nil)
    }

    @Test func generatedTenantIDsCarryTheSlugAndEightBase32Characters() throws {
        let slug = OrganizationSlug(displayName: "Lab Workshop")
        let ids = (0..<500).map { _ in TenantID.generate(in: slug) }
        for id in ids {
            #expect(Self.matches(id.rawValue, "xs_labworkshop_[a-z2-7]{8}"), "\(id)")
            #expect(TenantID(id.rawValue) == id)
        }
        #expect(Set(ids).count == 500)
        // Every character of the alphabet turns up, and none outside it.
        let tails = Set(ids.flatMap { $0.rawValue.suffix(8) })
        #expect(tails == Set("abcdefghijklmnopqrstuvwxyz234567"))
        let longest = TenantID.generate(in: OrganizationSlug(displayName: String(repeating: "x", count: 40)))
        #expect(longest.rawValue.count == 3 + 20 + 1 + 8)
    }

    // MARK: Organisations

    @Test(arguments: [
        ("Default", "default"), ("Training Org", "trainingorg"), ("TrainingOrg", "trainingorg"), ("Lab-Workshop!", "labworkshop"),
        ("ACME 42", "acme42"), ("École Polytechnique", "colepolytechnique"), ("", "org"), ("!!! ---", "org"), ("日本語", "org"),
        ("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrst"), ("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v", "abcdefghijklmnopqrst"),
        ("   12345678901234567890123", "12345678901234567890"), ("snake_case_name", "snakecasename"),
    ])
    func organisationSlugsAreLowerCaseAlphanumericAtMostTwenty(name: String, slug: String) {
        let made = OrganizationSlug(displayName: name)
        #expect(made.rawValue == slug)
        #expect(made.rawValue.count <= OrganizationSlug.maximumLength)
        #expect(made.rawValue.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) })
    }

    @Test func organisationIDsAreDerivedStablyFromTheName() throws {
        let derived = OrganizationID.derived(fromName: "Default")
        // Fixed by the name: the same on every start, every server and every version.
        #expect(derived.rawValue == "xs_org_8f5e124213d9c417cc7856ca9b204ee3")
        #expect(OrganizationID.derived(fromName: "Default") == derived)
        #expect(OrganizationID.derived(fromName: "default") != derived)
        #expect(OrganizationID.derived(fromName: "Default ") != derived)
        #expect(Self.matches(OrganizationID.derived(fromName: "Training Org").rawValue, "xs_org_[0-9a-f]{32}"))
        #expect(Organization(displayName: "Default", plan: .scale).id == derived)
        let configured = try #require(OrganizationID("xs_org_" + String(repeating: "ab", count: 16)))
        #expect(Organization(id: configured, displayName: "Default", plan: .scale).id == configured)
        #expect(Organization(displayName: "Training Org", plan: .free).slug.rawValue == "trainingorg")
    }

    @Test func organisationIDsParseThirtyTwoHexDigitsInEitherCase() {
        let hex = "0123456789abcdef0123456789abcdef"
        #expect(OrganizationID("xs_org_" + hex)?.rawValue == "xs_org_" + hex)
        #expect(OrganizationID("xs_org_" + hex.uppercased())?.rawValue == "xs_org_" + hex)
        #expect(OrganizationID("xs_org_" + hex)?.hex == hex)
        for bad in [
            "", "xs_org_", "xs_org_" + hex.dropLast(), "xs_org_" + hex + "0", "xs_org_" + hex.dropLast() + "g", "XS_ORG_" + hex,
            "xs_" + hex, "xs_org_abc123def456", "xs_org_" + hex.dropLast(4) + "-abc",
        ] {
            #expect(OrganizationID(bad) == nil, "\(bad)")
        }
    }

    // MARK: Keys

    @Test func keyIDsAreTheTokensUUIDWithoutDashes() throws {
        for _ in 0..<50 {
            let token = TokenID.random()
            let key = KeyID(token)
            #expect(Self.matches(key.rawValue, "key_[0-9a-f]{32}"), "\(key)")
            #expect(key.rawValue == "key_" + token.rawValue.filter { $0 != "-" })
            #expect(try KeyID.parse(key.rawValue) == key)
            #expect(try KeyID.parse(key.rawValue).tokenID == token)
        }
        let known = try #require(TokenID("01234567-89ab-4cde-8f01-23456789abcd"))
        #expect(KeyID(known).rawValue == "key_0123456789ab4cde8f0123456789abcd")
    }

    @Test(arguments: [
        "", "key_", "key_abc123", "key_0123456789ab4cde8f0123456789abc", "key_0123456789ab4cde8f0123456789abcde",
        "key_0123456789AB4CDE8F0123456789ABCD", "key_0123456789ab4cde8f0123456789abcg", "kei_0123456789ab4cde8f0123456789abcd",
        "0123456789ab4cde8f0123456789abcd", "key_01234567-89ab-4cde-8f01-23456789abcd", "key_0123456789ab-cde8f0123456789abcd",
    ])
    func malformedKeyIDsAreNotFound(text: String) {
        #expect(throws: TokendError.notFound(resource: "key", resourceID: String(text.prefix(64)))) { try KeyID.parse(text) }
    }

    @Test func generatedKeysAreWellFormedAndOneChangedCharacterFailsTheChecksum() {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        var seen = Set<String>()
        for _ in 0..<200 {
            let key = XScalerKeyFormat.generate()
            #expect(Self.matches(key, "xag_[a-z0-9]{32}"), "\(key)")
            #expect(XScalerKeyFormat.isWellFormed(key))
            #expect(XScalerKeyFormat.claims(key))
            #expect(XScalerKeyFormat.displayPrefix(of: key) == String(key.prefix(8)))
            seen.insert(key)
        }
        #expect(seen.count == 200)

        let key = XScalerKeyFormat.generate()
        let characters = Array(key)
        for offset in 4..<characters.count {
            for shift in [1, 17] {
                var changed = characters
                let index = alphabet.firstIndex(of: characters[offset])!
                changed[offset] = alphabet[(index + shift) % alphabet.count]
                #expect(!XScalerKeyFormat.isWellFormed(String(changed)), "\(key) with \(offset) changed")
            }
        }
        // Two neighbours swapped, upper case, a wrong length or prefix: refused too.
        var swapped = characters
        if let offset = (4..<34).first(where: { characters[$0] != characters[$0 + 1] }) { swapped.swapAt(offset, offset + 1) }
        #expect(!XScalerKeyFormat.isWellFormed(String(swapped)))
        #expect(!XScalerKeyFormat.isWellFormed(key.uppercased()))
        #expect(!XScalerKeyFormat.isWellFormed("xag_" + key.dropFirst(4).uppercased()))
        #expect(!XScalerKeyFormat.isWellFormed(String(key.dropLast())))
        #expect(!XScalerKeyFormat.isWellFormed(key + "0"))
        #expect(!XScalerKeyFormat.isWellFormed("xse_" + key.dropFirst(4)))
        #expect(!XScalerKeyFormat.claims("xse_" + key.dropFirst(4)))
        #expect(!XScalerKeyFormat.isWellFormed(""))
    }

    @Test func keyScopesAreLabelledAsXScalerShowsThem() {
        let readOnly: [TokenScope] = [.readOnlyMetrics, .readOnlyLogs, .readOnlyTraces]
        let writeOnly: [TokenScope] = [.writeOnlyMetrics, .writeOnlyLogs, .writeOnlyTraces]
        #expect(KeyScope.read.scopes == TokenScopes(readOnly))
        #expect(KeyScope.write.scopes == TokenScopes(writeOnly))
        #expect(KeyScope.readWrite.scopes == TokenScopes(readOnly + writeOnly))
        #expect(KeyScope.readWrite.rawValue == "read+write")
        for scope in KeyScope.allCases { #expect(KeyScope(label: scope.scopes) == scope) }

        let cases: [([TokenScope], KeyScope?)] = [
            ([.readOnlyMetrics], .read), ([.readOnlyTraces, .fullAccessAlertManager], .read), ([.writeOnlyLogs], .write),
            ([.writeOnlyTraces, .fullAccessMetricsRules], .write), ([.readOnlyLogs, .writeOnlyMetrics], .readWrite),
            ([.fullAccessMetricsRules, .fullAccessLogsRules, .fullAccessAlertManager], nil), ([], nil),
        ]
        for (scopes, label) in cases {
            #expect(KeyScope(label: TokenScopes(scopes)) == label, "\(scopes)")
        }
        #expect(KeyScope(rawValue: "read") == .read)
        #expect(KeyScope(rawValue: "write") == .write)
        #expect(KeyScope(rawValue: "read+write") == .readWrite)
        #expect(KeyScope(rawValue: "readwrite") == nil)
        #expect(KeyScope(rawValue: "Read") == nil)
    }

    @Test func newKeyBodiesDefaultToReadWriteAndTakeNameAsAlias() throws {
        #expect(try NewKey.parse(body: nil) == NewKey(name: nil, scope: .readWrite))
        #expect(try NewKey.parse(body: .object([:])).scope == .readWrite)
        #expect(try NewKey.parse(body: .object(["name": .string("agent-1")])).name?.rawValue == "agent-1")
        #expect(try NewKey.parse(body: .object(["display_name": .string("agent-2"), "scope": .string("read")])).scope == .read)
        for body: JSONValue in [
            .object(["scope": .string("admin")]), .object(["display_name": .string("a b")]),
            .object(["display_name": .string("abc"), "name": .string("abc")]), .object(["key": .string("xag_")]), .array([]),
        ] {
            #expect(throws: TokendError.self) { try NewKey.parse(body: body) }
        }
    }

    // MARK: Passwords and roles

    @Test func aPasswordHashMatchesOnlyItsPasswordAndRoundTrips() throws {
        let hash = try PasswordHash.make("Training123!", rounds: 1024)
        #expect(hash.matches("Training123!"))
        for wrong in ["training123!", "Training123", "Training123! ", "", "pw"] { #expect(!hash.matches(wrong), "\(wrong)") }
        #expect(Self.matches(hash.encoded, #"scrypt\$1024\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}"#), "\(hash.encoded)")
        #expect(!hash.encoded.contains("Training123!"))
        let decoded = try #require(PasswordHash(encoded: hash.encoded))
        #expect(decoded == hash)
        #expect(decoded.encoded == hash.encoded)
        #expect(decoded.matches("Training123!"))
        // A fresh salt each time: the same password, another hash, both matching.
        let again = try PasswordHash.make("Training123!", rounds: 1024)
        #expect(again.encoded != hash.encoded)
        #expect(again.matches("Training123!"))
        #expect(try PasswordHash.make("ünïcödé", rounds: 2).matches("ünïcödé"))
    }

    @Test func malformedPasswordHashesAreRefused() throws {
        let salt = String(repeating: "ab", count: 16)
        let digest = String(repeating: "cd", count: 32)
        #expect(PasswordHash(encoded: "scrypt$1024$8$1$\(salt)$\(digest)") != nil)
        for bad in [
            "", "Training123!", "scrypt", "scrypt$1024$8$1$\(salt)", "scrypt$1024$8$1$\(salt)$\(digest)$extra",
            "bcrypt$1024$8$1$\(salt)$\(digest)", "scrypt$1000$8$1$\(salt)$\(digest)", "scrypt$1$8$1$\(salt)$\(digest)",
            "scrypt$0$8$1$\(salt)$\(digest)", "scrypt$\(1 << 21)$8$1$\(salt)$\(digest)", "scrypt$1024$0$1$\(salt)$\(digest)",
            "scrypt$1024$33$1$\(salt)$\(digest)", "scrypt$1024$8$0$\(salt)$\(digest)", "scrypt$1024$8$17$\(salt)$\(digest)",
            "scrypt$1024$8$1$\(salt.dropLast(2))$\(digest)", "scrypt$1024$8$1$\(salt)$\(digest.prefix(30))",
            "scrypt$1024$8$1$\(salt)$\(digest.dropLast())", "scrypt$1024$8$1$\(salt.dropLast() + "g")$\(digest)",
            "scrypt$x$8$1$\(salt)$\(digest)", "scrypt$$8$1$\(salt)$\(digest)",
        ] {
            #expect(PasswordHash(encoded: bad) == nil, "\(bad)")
        }
    }

    @Test func rolesAllowWhatTheReferenceSays() {
        let table: [PortalRole: [PortalRole.Action: Bool]] = [
            .owner: [.read: true, .write: true, .administer: true],
            .admin: [.read: true, .write: true, .administer: true],
            .member: [.read: true, .write: true, .administer: false],
            .viewer: [.read: true, .write: false, .administer: false],
        ]
        for role in PortalRole.allCases {
            for action in [PortalRole.Action.read, .write, .administer] {
                #expect(role.allows(action) == table[role]?[action], "\(role) \(action)")
            }
        }
        #expect(PortalRole.allCases.map(\.rawValue) == ["owner", "admin", "member", "viewer"])
        let viewer = PortalCaller(
            email: "v@example.com", role: .viewer, organization: Organization(displayName: "O", plan: .free), requestID: nil)
        #expect(throws: TokendError.self) { try viewer.require(.write) }
        #expect(throws: Never.self) { try viewer.require(.read) }
    }

    @Test func plansHaveTheDocumentedDefaults() {
        #expect(Plan.named("free") == Plan(id: "free", maximumActiveSeries: 10_000, maximumTenants: 3))
        #expect(Plan.named("scale") == Plan(id: "scale", maximumActiveSeries: 20_000, maximumTenants: 10))
        #expect(Plan.named("enterprise") == Plan(id: "enterprise", maximumActiveSeries: nil, maximumTenants: nil))
        #expect(Plan.named("pro") == nil)
        #expect(Plan.named("Free") == nil)
    }
}
