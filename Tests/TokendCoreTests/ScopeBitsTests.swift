import Testing

@testable import TokendCore

/// Stores keep a token's scopes as a bit mask: the bit of each scope may never change, or
/// every stored token would quietly mean something else.
@Suite struct ScopeBitsTests {
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
}
