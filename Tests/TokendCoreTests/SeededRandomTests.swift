import Testing

@testable import TokendCore

/// `--seed`'s determinism where it is safe to test in-process: the fault injector's own
/// generator. (`SecureRandom.seed` is process-global: seeding it here would make every other
/// test's secrets repeatable, so the process tests cover it.)
@Suite struct FakeCloudSeededRandomTests {
    static let create = ClassifiedRequest(dialect: .cockpit, region: RegionName("fr-par")!, operation: "create")
    static let list = ClassifiedRequest(dialect: .cockpit, region: RegionName("fr-par")!, operation: "list")

    @Test func splitMix64GivesItsReferenceSequence() {
        // The reference values of SplitMix64 from a zero seed.
        var generator = SeededGenerator(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func aSeedFixesTheSequence() {
        var first = SeededGenerator(seed: 42)
        var second = SeededGenerator(seed: 42)
        var other = SeededGenerator(seed: 43)
        let a = (0..<100).map { _ in first.next() }
        let b = (0..<100).map { _ in second.next() }
        let c = (0..<100).map { _ in other.next() }
        #expect(a == b)
        #expect(a != c)
        #expect(Set(a).count == 100)
    }

    @Test func unitIntervalDrawsStayInZeroToOne() {
        var generator = SeededGenerator(seed: 7)
        let draws = (0..<10_000).map { _ in generator.nextUnitInterval() }
        #expect(draws.allSatisfy { (0..<1).contains($0) })
        let mean = draws.reduce(0, +) / Double(draws.count)
        #expect((0.45...0.55).contains(mean), "\(mean)")
        #expect(draws.filter { $0 < 0.1 }.count > 800)
    }

    func hits(seed: UInt64?, probability: Double, requests: Int = 200) -> [Bool] {
        let injector = FaultInjector(seed: seed)
        _ = injector.add(
            region: nil, dialect: .cockpit, operation: "create", effect: .status(503, retryAfterSeconds: 1), probability: probability,
            count: nil)
        return (0..<requests).map { _ in injector.effect(for: Self.create) != nil }
    }

    @Test func aSeededInjectorHitsTheSameRequestsEveryRun() {
        let first = hits(seed: 1234, probability: 0.3)
        #expect(first == hits(seed: 1234, probability: 0.3))
        #expect(first != hits(seed: 1235, probability: 0.3))
        let rate = Double(first.filter { $0 }.count) / Double(first.count)
        #expect((0.15...0.45).contains(rate), "\(rate)")
    }

    @Test func probabilityZeroNeverHitsAndOneAlwaysDoes() {
        #expect(hits(seed: 1, probability: 0).allSatisfy { !$0 })
        #expect(hits(seed: 1, probability: 1).allSatisfy { $0 })
        #expect(hits(seed: nil, probability: 0).allSatisfy { !$0 })
    }

    @Test func aCertainRuleDrawsNothingSoTheOthersPatternHolds() {
        // A rule that always fires draws no number, so it does not shift a probabilistic one.
        let alone = FaultInjector(seed: 99)
        let mixed = FaultInjector(seed: 99)
        for injector in [alone, mixed] {
            _ = injector.add(
                region: nil, dialect: nil, operation: "create", effect: .drop, probability: 0.5, count: nil)
        }
        _ = mixed.add(region: nil, dialect: nil, operation: "list", effect: .delay(milliseconds: 5), probability: 1, count: nil)
        var lonely: [Bool] = []
        var together: [Bool] = []
        for _ in 0..<100 {
            lonely.append(alone.effect(for: Self.create) != nil)
            #expect(mixed.effect(for: Self.list) == .delay(milliseconds: 5))
            together.append(mixed.effect(for: Self.create) != nil)
        }
        #expect(lonely == together)
    }

    @Test func aCountStopsARuleAndTheNextOneMatches() {
        let injector = FaultInjector(seed: 5)
        let first = injector.add(
            region: nil, dialect: .cockpit, operation: nil, effect: .status(503, retryAfterSeconds: 1), probability: 1, count: 2)
        let second = injector.add(
            region: RegionName("fr-par")!, dialect: nil, operation: nil, effect: .status(429, retryAfterSeconds: 1), probability: 1,
            count: nil)
        #expect(second.id > first.id)
        #expect(injector.isArmed)
        let effects = (0..<4).map { _ in injector.effect(for: Self.list) }
        #expect(
            effects == [
                .status(503, retryAfterSeconds: 1), .status(503, retryAfterSeconds: 1), .status(429, retryAfterSeconds: 1),
                .status(429, retryAfterSeconds: 1),
            ])
        #expect(injector.rules.map(\.fired) == [2, 2])
        // Another region, a portal request, tokend's own endpoints: the region rule misses them.
        #expect(injector.effect(for: ClassifiedRequest(dialect: .cockpit, region: RegionName("nl-ams")!, operation: "list")) == nil)
        #expect(injector.effect(for: ClassifiedRequest(dialect: .xscaler, region: nil, operation: "list_tenants")) == nil)
        injector.removeAll()
        #expect(!injector.isArmed)
        #expect(injector.rules.isEmpty)
        #expect(injector.effect(for: Self.list) == nil)
    }

    @Test func tokendsOwnEndpointsAreNeverHit() {
        let injector = FaultInjector(seed: 5)
        _ = injector.add(region: nil, dialect: nil, operation: nil, effect: .drop, probability: 1, count: nil)
        #expect(injector.effect(for: ClassifiedRequest(dialect: .tokend, region: nil, operation: "get /_tokend/faults")) == nil)
        #expect(injector.effect(for: Self.create) == .drop)
    }

    @Test func aParsedRuleTakesItsDefaults() throws {
        let plain = try FaultRule.parse(body: .object([:]))
        #expect(plain.effect == .status(503, retryAfterSeconds: 1))
        #expect(plain.probability == 1)
        #expect(plain.count == nil)
        #expect(plain.region == nil && plain.dialect == nil && plain.operation == nil)
        #expect(try FaultRule.parse(body: .object(["status": .number(500)])).effect == .status(500, retryAfterSeconds: nil))
        #expect(try FaultRule.parse(body: .object(["status": .number(429)])).effect == .status(429, retryAfterSeconds: 1))
        let dialect = try FaultRule.parse(body: .object(["dialect": .string("data_plane"), "effect": .string("drop")]))
        #expect(dialect.dialect == .dataPlane)
        #expect(dialect.effect == .drop)
    }
}

extension FaultInjector {
    /// A rule of these fields, as `POST /_tokend/faults` would have parsed it.
    fileprivate func add(
        region: RegionName?, dialect: RequestDialect?, operation: String?, effect: FaultRule.Effect, probability: Double, count: Int?
    ) -> FaultRule {
        add(
            FaultRule.Request(
                region: region, dialect: dialect, operation: operation, effect: effect, probability: probability, count: count))
    }
}
