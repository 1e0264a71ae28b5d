import Testing

@testable import TokendCore

@Suite struct SecretFormatTests {
    let region = RegionName("fr-par")!

    @Test func aSecretIsSelfDescribingAnd64URLSafeCharacters() throws {
        let secret = SecretFormat.generate(region: region)
        #expect(secret.count == 64)
        #expect(secret.hasPrefix("tkd_frpar_"))
        #expect(
            secret.utf8.allSatisfy { $0.isASCIIDigit || $0.isLowercaseASCIILetter || $0.isUppercaseASCIILetter || $0 == UInt8(ascii: "_") })
        let parsed = try #require(SecretFormat.parse(secret))
        #expect(parsed.region == region)
        #expect(parsed.displayPrefix == String(secret.prefix(18)))
        let longest = SecretFormat.generate(region: RegionName("ab-cdefghij")!)
        #expect(longest.count == 64)
        #expect(SecretFormat.parse(longest)?.region == RegionName("ab-cdefghij"))
    }

    /// Issued before secrets were 64 characters: 43 random characters whatever the hint.
    @Test func aSecretOfTheEarlierLengthStillParses() throws {
        let earlier = "tkd_frpar_PORRhfDqNmUlooIkBFwkMUj0XkhevnTwnB2MTtNuu521AtJ89"
        #expect(earlier.count == 59)
        let parsed = try #require(SecretFormat.parse(earlier))
        #expect(parsed.region == region)
        #expect(parsed.displayPrefix == "tkd_frpar_PORRhfDq")
        #expect(SecretFormat.parse(earlier.dropLast() + "0") == nil)
    }

    @Test func secretsDoNotRepeat() {
        let secrets = Set((0..<1000).map { _ in SecretFormat.generate(region: region) })
        #expect(secrets.count == 1000)
    }

    @Test func secretCharactersAreDrawnEvenly() {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        let drawn = SecureRandom.characters(62_000, from: alphabet)
        let counts = Dictionary(grouping: drawn, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 62)
        // Each character expects 1,000 draws (standard deviation ~31): 800...1200 is over 6 sigma.
        #expect(counts.values.allSatisfy { (800...1200).contains($0) })
    }

    @Test func everySingleCharacterTypoIsCaughtByTheChecksum() throws {
        let secret = Array(SecretFormat.generate(region: region))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        for index in secret.indices.dropFirst(10) {
            var typo = secret
            typo[index] = alphabet[(alphabet.firstIndex(of: secret[index])! + 1) % alphabet.count]
            #expect(SecretFormat.parse(String(typo)) == nil, "typo at \(index)")
        }
    }

    @Test(arguments: [
        "", "tkd_", "tkd_frpar_", "ghp_frpar_abc", "tkd_frpar_" + String(repeating: "a", count: 48),
        "tkd_frpar_" + String(repeating: "a", count: 50), "tkd_fr_" + String(repeating: "a", count: 49),
        "tkd_FRPAR_" + String(repeating: "a", count: 49), "tkd_frpar_" + String(repeating: "-", count: 49),
    ])
    func malformedSecretsAreRejected(secret: String) {
        #expect(SecretFormat.parse(secret) == nil)
    }

    @Test func theChecksumIsTheStandardCRC32() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func theKeyedHashDependsOnTheKeyAndComparesBySecret() {
        let secret = SecretFormat.generate(region: region)
        let hasher = SecretHasher(keyBytes: Array(repeating: 1, count: 32))
        let other = SecretHasher(keyBytes: Array(repeating: 2, count: 32))
        let stored = hasher.hash(secret)
        #expect(stored.count == 32)
        #expect(stored != other.hash(secret))
        #expect(hasher.matches(secret, storedHash: stored))
        #expect(!hasher.matches(secret + "x", storedHash: stored))
        #expect(!other.matches(secret, storedHash: stored))
    }
}
