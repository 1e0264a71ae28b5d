/// What a data-plane request does, and so which scope it needs.
package struct DataOperation: Sendable, Hashable, CustomStringConvertible {
    package enum Signal: String, Sendable, CaseIterable { case metrics, logs, traces }
    package enum Action: String, Sendable, CaseIterable { case push, query, rules, alerts }

    package let signal: Signal
    package let action: Action

    package init(signal: Signal, action: Action) {
        self.signal = signal
        self.action = action
    }

    /// The scope that allows this operation, or nil when nothing does (traces have no
    /// rules or alerts).
    package var requiredScope: TokenScope? {
        switch (signal, action) {
        case (.metrics, .push): .writeOnlyMetrics
        case (.metrics, .query): .readOnlyMetrics
        case (.metrics, .rules): .fullAccessMetricsRules
        case (.logs, .push): .writeOnlyLogs
        case (.logs, .query): .readOnlyLogs
        case (.logs, .rules): .fullAccessLogsRules
        case (.metrics, .alerts), (.logs, .alerts): .fullAccessAlertManager
        case (.traces, .push): .writeOnlyTraces
        case (.traces, .query): .readOnlyTraces
        case (.traces, .rules), (.traces, .alerts): nil
        }
    }

    /// `metrics.push` and the like: the form an explicit operation is given in.
    package var description: String { "\(signal.rawValue).\(action.rawValue)" }

    package init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let signal = Signal(rawValue: String(parts[0])), let action = Action(rawValue: String(parts[1]))
        else { return nil }
        self.init(signal: signal, action: action)
    }

    /// The operation an original request performs, told by its path (Mimir/Prometheus,
    /// Loki, Tempo, OTLP conventions) and method; nil when the path says nothing we know.
    package init?(method: String, path rawPath: String) {
        let path = String(rawPath.prefix { $0 != "?" })
        let isRead = method == "GET" || method == "HEAD"
        func under(_ prefix: String) -> Bool { path == prefix || path.hasPrefix(prefix + "/") }

        switch true {
        // Push endpoints.
        case path == "/api/v1/push" || path == "/otlp/v1/metrics" || path == "/api/prom/push":
            self.init(signal: .metrics, action: .push)
        case path == "/loki/api/v1/push" || path == "/otlp/v1/logs":
            self.init(signal: .logs, action: .push)
        case path == "/otlp/v1/traces" || (path == "/api/traces" && !isRead) || path == "/api/push":
            self.init(signal: .traces, action: .push)
        // Rules and alerts (before the broader query prefixes they sit under).
        case under("/loki/api/v1/rules") || under("/api/prom/rules"):
            self.init(signal: .logs, action: .rules)
        case under("/prometheus/config/v1/rules") || under("/api/v1/rules") || under("/prometheus/api/v1/rules"):
            self.init(signal: .metrics, action: .rules)
        case under("/alertmanager") || under("/api/v1/alerts") || under("/prometheus/api/v1/alerts"):
            self.init(signal: .metrics, action: .alerts)
        // Queries.
        case under("/loki/api/v1"):
            self.init(signal: .logs, action: .query)
        case under("/prometheus/api/v1") || under("/api/v1"):
            self.init(signal: .metrics, action: .query)
        case under("/api/traces") || under("/api/search") || under("/api/v2/search"):
            self.init(signal: .traces, action: .query)
        case under("/tempo"):
            self.init(signal: .traces, action: isRead ? .query : .push)
        default:
            return nil
        }
    }
}
