/// A permission a token carries. The raw values are the wire names of the Cockpit v1 enum.
///
/// The cases stand in the order every answer lists a token's scopes: the public API answers
/// in an order of its own, not the request's (its recorded traffic, api-spec's
/// `x-tokend-scope-order`), and this one agrees with every recorded answer and with the
/// console's Push / Query / Rules / Alerts: the SDK's enum order with write before read in
/// each product.
package enum TokenScope: String, CaseIterable, Sendable, Hashable {
    case writeOnlyMetrics = "write_only_metrics"
    case readOnlyMetrics = "read_only_metrics"
    case fullAccessMetricsRules = "full_access_metrics_rules"
    case writeOnlyLogs = "write_only_logs"
    case readOnlyLogs = "read_only_logs"
    case fullAccessLogsRules = "full_access_logs_rules"
    case fullAccessAlertManager = "full_access_alert_manager"
    case writeOnlyTraces = "write_only_traces"
    case readOnlyTraces = "read_only_traces"

    /// The scope's bit in a `TokenScopes` set: what the store keeps, so each is fixed here,
    /// case by case. A new scope takes a new bit; reordering the cases changes nothing stored.
    var bit: Int64 {
        switch self {
        case .readOnlyMetrics: 1 << 0
        case .writeOnlyMetrics: 1 << 1
        case .fullAccessMetricsRules: 1 << 2
        case .readOnlyLogs: 1 << 3
        case .writeOnlyLogs: 1 << 4
        case .fullAccessLogsRules: 1 << 5
        case .fullAccessAlertManager: 1 << 6
        case .readOnlyTraces: 1 << 7
        case .writeOnlyTraces: 1 << 8
        }
    }

    static let wireNames: String = allCases.map(\.rawValue).joined(separator: ", ")

    /// `allCases`, made once: the synthesized `allCases` builds a new array at every call.
    static let canonicalOrder = allCases
}

/// A set of scopes, kept as a bit mask so that it stores as one integer and a
/// "holds every listed scope" filter is a single `scopes & mask = mask` test.
package struct TokenScopes: Sendable, Hashable {
    package let bitmask: Int64

    package init(bitmask: Int64) { self.bitmask = bitmask }

    package init(_ scopes: some Sequence<TokenScope>) {
        self.bitmask = scopes.reduce(0) { $0 | $1.bit }
    }

    package var isEmpty: Bool { bitmask == 0 }

    package func contains(_ scope: TokenScope) -> Bool { bitmask & scope.bit != 0 }

    package func isSuperset(of other: TokenScopes) -> Bool { bitmask & other.bitmask == other.bitmask }

    /// The scopes in the canonical order (the enum's), whatever order they were given in.
    package var members: [TokenScope] { Array(inCanonicalOrder) }

    /// The same, walked without an array of their own (a page of 100 tokens' JSON walks 100 sets).
    package var inCanonicalOrder: InCanonicalOrder { InCanonicalOrder(scopes: self) }

    package struct InCanonicalOrder: Sequence, IteratorProtocol {
        let scopes: TokenScopes
        private var position = 0

        init(scopes: TokenScopes) { self.scopes = scopes }

        package mutating func next() -> TokenScope? {
            let order = TokenScope.canonicalOrder
            while position < order.count {
                let scope = order[position]
                position += 1
                if scopes.contains(scope) { return scope }
            }
            return nil
        }
    }
}
