import Synchronization

/// The fault rules in force and how often each fired. Which matching request a rule hits
/// is drawn from a generator of its own, seeded by `--seed` when given, so a run repeats.
package final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule] = []
        var fired: [Int: Int] = [:]
        var nextID = 1
        var generator: SeededGenerator
    }

    private let state: Mutex<State>
    /// Read without the lock on every request: no rule, no further cost.
    private let hasRules = Atomic<Bool>(false)

    package init(seed: UInt64? = nil) {
        state = Mutex(State(generator: SeededGenerator(seed: seed ?? UInt64.random(in: .min ... .max))))
    }

    /// Adds a rule; its id is assigned here.
    package func add(_ asked: FaultRule.Request) -> FaultRule {
        state.withLock { state in
            let rule = FaultRule(id: state.nextID, asked)
            state.nextID += 1
            state.rules.append(rule)
            hasRules.store(true, ordering: .releasing)
            return rule
        }
    }

    /// Whether any rule is in force: read without the lock, so no rule costs a request nothing more.
    package var isArmed: Bool { hasRules.load(ordering: .acquiring) }

    /// Every rule with how many requests it hit.
    package var rules: [(rule: FaultRule, fired: Int)] {
        state.withLock { state in state.rules.map { ($0, state.fired[$0.id] ?? 0) } }
    }

    package func removeAll() {
        state.withLock { state in
            state.rules.removeAll()
            state.fired.removeAll()
            hasRules.store(false, ordering: .releasing)
        }
    }

    /// The effect for this request: the first rule that matches, still has hits left and
    /// draws it; nil when none does.
    package func effect(for request: ClassifiedRequest) -> FaultRule.Effect? {
        guard isArmed, request.dialect != .tokend else { return nil }
        return state.withLock { state in
            for rule in state.rules where rule.matches(request) {
                let fired = state.fired[rule.id] ?? 0
                if let count = rule.count, fired >= count { continue }
                guard rule.probability >= 1 || state.generator.nextUnitInterval() < rule.probability else { continue }
                state.fired[rule.id] = fired + 1
                return rule.effect
            }
            return nil
        }
    }
}

/// SplitMix64: a small, fast generator whose sequence a seed fixes. For choosing which
/// requests a fault hits, never for secrets.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A number in [0, 1).
    mutating func nextUnitInterval() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
