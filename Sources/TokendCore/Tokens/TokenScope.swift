/// A permission a token carries. The raw values are the wire names of the Cockpit v1 enum.
public enum TokenScope: String, CaseIterable, Sendable, Hashable {
    case readOnlyMetrics = "read_only_metrics"
    case writeOnlyMetrics = "write_only_metrics"
    case fullAccessMetricsRules = "full_access_metrics_rules"
    case readOnlyLogs = "read_only_logs"
    case writeOnlyLogs = "write_only_logs"
    case fullAccessLogsRules = "full_access_logs_rules"
    case fullAccessAlertManager = "full_access_alert_manager"
    case readOnlyTraces = "read_only_traces"
    case writeOnlyTraces = "write_only_traces"

    /// The scope's bit in a `TokenScopes` set. The order is the enum's and must never change:
    /// the bits are what the store keeps.
    var bit: Int64 { 1 << Int64(TokenScope.allCases.firstIndex(of: self)!) }

    static let wireNames: String = allCases.map(\.rawValue).joined(separator: ", ")
}

/// A set of scopes, kept as a bit mask so that it stores as one integer and a
/// "holds every listed scope" filter is a single `scopes & mask = mask` test.
public struct TokenScopes: Sendable, Hashable {
    public let bitmask: Int64

    public init(bitmask: Int64) { self.bitmask = bitmask }

    public init(_ scopes: some Sequence<TokenScope>) {
        self.bitmask = scopes.reduce(0) { $0 | $1.bit }
    }

    public var isEmpty: Bool { bitmask == 0 }

    public func contains(_ scope: TokenScope) -> Bool { bitmask & scope.bit != 0 }

    public func isSuperset(of other: TokenScopes) -> Bool { bitmask & other.bitmask == other.bitmask }

    /// The scopes in the enum's order: one canonical order, whatever order they were given in.
    public var members: [TokenScope] { TokenScope.allCases.filter(contains) }
}
