import Testing

@testable import TokendCore

/// Stores keep a token's scopes as a bit mask: the bit of each scope may never change, or
/// every stored token would quietly mean something else. Answers list them in one order.
@Suite struct ScopeTests {
    @Test func everyScopeKeepsTheBitStoresWereWrittenWith() {
        let stored: [TokenScope: Int64] = [
            .readOnlyMetrics: 1, .writeOnlyMetrics: 2, .fullAccessMetricsRules: 4,
            .readOnlyLogs: 8, .writeOnlyLogs: 16, .fullAccessLogsRules: 32,
            .fullAccessAlertManager: 64, .readOnlyTraces: 128, .writeOnlyTraces: 256,
        ]
        #expect(Set(TokenScope.allCases) == Set(stored.keys))
        for scope in TokenScope.allCases {
            #expect(TokenScopes([scope]).bitmask == stored[scope], "\(scope)")
        }
    }

    @Test func aStoredMaskReadsBackAsItsScopes() {
        #expect(TokenScopes(bitmask: 2 | 128).members == [.writeOnlyMetrics, .readOnlyTraces])
        #expect(TokenScopes(bitmask: 511).members == TokenScope.allCases)
    }

    /// Every request and answer of the public API's recorded traffic (the Terraform
    /// provider's cassettes): the answer's order is the server's, whatever the request's.
    @Test(arguments: [
        (["read_only_metrics", "write_only_metrics"], ["write_only_metrics", "read_only_metrics"]),
        (["read_only_metrics", "write_only_logs", "write_only_metrics"], ["write_only_metrics", "read_only_metrics", "write_only_logs"]),
        (["write_only_metrics", "write_only_logs"], ["write_only_metrics", "write_only_logs"]),
        (["write_only_metrics", "read_only_metrics"], ["write_only_metrics", "read_only_metrics"]),
    ])
    func scopesAnswerInTheOrderTheRecordedTrafficShows(requested: [String], answered: [String]) throws {
        let scopes = try TokenScopes.parse(requested, argument: "token_scopes", requireOne: true)
        #expect(scopes.members.map(\.rawValue) == answered)
    }

    @Test func theCanonicalOrderIsWriteThenReadInEachProduct() {
        #expect(
            TokenScope.allCases.map(\.rawValue) == [
                "write_only_metrics", "read_only_metrics", "full_access_metrics_rules",
                "write_only_logs", "read_only_logs", "full_access_logs_rules",
                "full_access_alert_manager", "write_only_traces", "read_only_traces",
            ])
    }
}
