import Testing

@testable import TokendCore

/// Verify's cache with a lifetime, the bound on a change another instance made when its
/// announcement is lost: nothing but time makes an entry go here.
@Suite struct CredentialCacheTests {
    let credential = Credential(
        tokenID: .random(), projectID: ProjectID("aaaaaaaa-0000-4000-8000-000000000001")!, scopes: TokenScopes([.readOnlyLogs]),
        validUntil: nil)
    let hash = Array(repeating: UInt8(3), count: 32)

    @Test func anEntryIsForgottenOnceItsLifetimeHasPassed() async throws {
        let lifetime = Duration.milliseconds(200)
        let cache = CredentialCache(lifetime: lifetime)
        let remembered = ContinuousClock.now
        cache.remember(credential, for: hash, after: cache.lookup(hash).miss)
        let early = cache.lookup(hash).credential
        let elapsed = ContinuousClock.now - remembered
        // Read back at once (a slow machine may take longer: then the entry may be gone already).
        if elapsed < lifetime { #expect(early == credential) }

        try await Task.sleep(for: lifetime + .milliseconds(50))
        #expect(cache.lookup(hash).credential == nil)
        // Read again from the store, it is remembered afresh (under the same token, so a forget still finds it).
        cache.remember(credential, for: hash, after: cache.lookup(hash).miss)
        #expect(cache.lookup(hash).credential == credential)
        cache.forget(credential.tokenID)
        #expect(cache.lookup(hash).credential == nil)
    }

    @Test func withoutALifetimeAnEntryStaysUntilForgotten() async throws {
        let cache = CredentialCache()
        cache.remember(credential, for: hash, after: cache.lookup(hash).miss)
        try await Task.sleep(for: .milliseconds(250))
        #expect(cache.lookup(hash).credential == credential)
        cache.apply(.all)
        #expect(cache.lookup(hash).credential == nil)
    }

    @Test func aLookupThatRacedWithAnAnnouncedChangeIsNotRemembered() {
        let cache = CredentialCache(lifetime: .seconds(60))
        let miss = cache.lookup(hash).miss
        cache.apply(.token(credential.tokenID))
        cache.remember(credential, for: hash, after: miss)
        #expect(cache.lookup(hash).credential == nil)
    }

    @Test func aSlowReadsLifetimeCountsFromWhenTheReadBegan() async throws {
        let cache = CredentialCache(lifetime: .milliseconds(300))
        let miss = cache.lookup(hash).miss
        // The store took 250 ms to answer: the credential may be used for 50 ms more, not 300.
        try await Task.sleep(for: .milliseconds(250))
        cache.remember(credential, for: hash, after: miss)
        try await Task.sleep(for: .milliseconds(100))
        #expect(cache.lookup(hash).credential == nil)
    }
}
