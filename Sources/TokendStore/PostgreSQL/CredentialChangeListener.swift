import Logging
import PostgresNIO
import TokendCore

/// Follows what other instances of a region announce (`NOTIFY` on the region's channel, in
/// the transaction of each delete, rotation and tenant change), on a connection of its own,
/// and hands each change to verify's cache.
///
/// While its connection is away, announcements are missed, so the cache is told to forget
/// everything each time the listener (re)connects, and its entries expire anyway
/// (`credentialLifetime`): a cached credential keeps verifying while the database is away, for
/// at most that long. A peer that vanished without closing the connection (a failover, a
/// firewall dropping it) is found by a ping every few seconds.
struct CredentialChangeListener: Sendable {
    let configuration: PostgresConnection.Configuration
    let channel: String
    /// This process's mark on its own announcements, which it skips (it made those changes).
    let instance: String
    let logger: Logger
    let deliver: @Sendable (CredentialChange) -> Void

    /// What a change's announcement says: `<instance> <token id>`, or `<instance> *` for anything.
    static func payload(_ change: CredentialChange, from instance: String) -> String {
        switch change {
        case .token(let id): "\(instance) \(id.rawValue)"
        case .all: "\(instance) *"
        }
    }

    /// Listens until cancelled, reconnecting after a failure (100 ms, doubling to 2 s).
    func run() async {
        var backoff = Duration.milliseconds(100)
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: connectionID, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: channel) { notifications in
                    // Listening from here on: anything changed before is forgotten.
                    deliver(.all)
                    backoff = .milliseconds(100)
                    logger.debug("listening for credential changes", metadata: ["channel": "\(channel)"])
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await notification in notifications {
                                if let change = change(in: notification.payload) { deliver(change) }
                            }
                        }
                        group.addTask { try await keepChecking(connection) }
                        // Either ends only by failing (or by cancellation): reconnect.
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "credential change listener lost its connection; reconnecting",
                    metadata: ["channel": "\(channel)", "error": "\(String(reflecting: error))", "retry_ms": "\(backoff.milliseconds)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
    }

    /// Pings the connection every `pingInterval`, throwing when it does not answer in time.
    private func keepChecking(_ connection: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: Self.pingInterval)
            try await withDeadline(Self.pingInterval, expired: { ListenerSilent() }) {
                try await connection.query("SELECT 1", logger: logger)
            }
        }
    }

    private static let pingInterval = Duration.seconds(2)

    private struct ListenerSilent: Error, CustomStringConvertible {
        var description: String { "the listener's connection did not answer a ping" }
    }

    private func change(in payload: String) -> CredentialChange? {
        let parts = payload.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] != instance else { return nil }
        if parts[1] == "*" { return .all }
        // Anything else unreadable is treated as "anything changed": forgetting is always safe.
        return TokenID(String(parts[1])).map(CredentialChange.token) ?? .all
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
