import GRDB
import Synchronization

/// Copies committed pages from the write-ahead log into the database file on a connection
/// of its own, so the store's one writer seldom stops for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the
/// writer every write waits for: with a million tokens it took 45% of the writer's time
/// during deletes (perf). Here, passive checkpoints run beside the writer after commits
/// (one at most every `pace` while it is busy, none while it is idle), and the writer itself
/// only finishes the job now and then so the log can start over. Measured at a million
/// tokens: 64 clients deleting, 3,200 -> 4,100-5,000 deletes/s, p50 26 -> 11 ms, p99 201 ->
/// 56-68 ms; 32 clients creating, p99 12.7 -> 7-10 ms.
///
/// Pacing: a random delete dirties about nine pages in as many b-trees, so back-to-back
/// checkpoints copied nearly every page the log gained (busy 83-87% of the time). Paced 50 ms
/// apart, a page written by several commits in between is copied once, and the log starts
/// over past 64 MiB instead of 8: on a store of 100,000 tokens, 64 clients deleting, three
/// rounds beside the binary before, 3,366-3,961 deletes/s at 294-321 µs of server CPU each
/// became 4,196-5,338/s at 237-272 µs, the checkpointer busy 40% of the time (BENCHMARKS.md).
final class BackgroundCheckpointer: Sendable {
    /// The log size, in pages (256 MiB), past which a commit checkpoints itself (SQLite's
    /// default is 1000): a bound should the restarts below fail.
    static let walPagesBeforeWriterCheckpoints = 65_536

    private struct State {
        var running: Task<Void, Never>?
        /// The running task waits out its pace: a restart or a stop may cancel it then (and
        /// only then, so no checkpoint is ever interrupted halfway).
        var pacing = false
        var committedSinceStart = false
        /// While the writer restarts the log (`restart(on:)`) or the store closes.
        var paused = false
        var stopped = false

        /// The running task, its pause cut short if it is in one.
        mutating func wakingFromPace() -> Task<Void, Never>? {
            if pacing { running?.cancel() }
            return running
        }
    }

    private let connection: DatabaseQueue
    private let state = Mutex(State())
    /// The log's length in pages at the last checkpoint.
    private let logPages = Atomic<Int>(0)

    /// Under steady writes a passive checkpoint never quite catches up, and the log only
    /// starts over after one has. Past this many pages (64 MiB by default) the writer finishes
    /// the job between two commits: this checkpointer has copied most pages by then.
    private let restartPages: Int
    /// The least time from one passive checkpoint's start to the next.
    private let pace: Duration
    private let metrics: StoreMetrics

    init(
        path: String, configuration: Configuration, metrics: StoreMetrics, restartPages: Int = 16_384,
        pace: Duration = .milliseconds(50)
    ) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.restartPages = restartPages
        self.pace = pace
        self.metrics = metrics
    }

    /// Run by the store's writer after each commit (and after answering it), before the next.
    func afterCommit(on writer: any DatabaseWriter) async {
        noteCommit()
        if logPages.load(ordering: .relaxed) > restartPages { try? await restart(on: writer) }
    }

    /// Finishes the checkpoint and starts the log over, on the writer between commits.
    /// The background checkpoints pause meanwhile: SQLite lets one checkpoint run at a time,
    /// and a restart that finds another running gives up.
    private func restart(on writer: any DatabaseWriter) async throws {
        let running = state.withLock { state in
            state.paused = true
            return state.wakingFromPace()
        }
        await running?.value
        defer {
            // Success or not, the next background checkpoint says how long the log is.
            logPages.store(0, ordering: .relaxed)
            state.withLock { $0.paused = false }
        }
        let started = ContinuousClock.now
        defer { metrics.checkpointed(.restart, in: ContinuousClock.now - started) }
        _ = try await writer.writeWithoutTransaction { db in
            // A restart waits for readers still on the old log; they are short, but should one
            // not be, writes stall for at most this long, not the connection's 5 s.
            try db.execute(sql: "PRAGMA busy_timeout = \(Self.restartWaitMilliseconds)")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(SQLiteTokenStore.busyTimeoutMilliseconds)") }
            return try db.checkpoint(.restart)
        }
    }

    private static let restartWaitMilliseconds = 200

    private func noteCommit() {
        state.withLock { state in
            guard !state.stopped, !state.paused else { return }
            guard state.running == nil else {
                state.committedSinceStart = true
                return
            }
            state.pacing = true
            state.running = Task.detached(priority: .utility) { await self.checkpointUntilCaughtUp() }
        }
    }

    /// Waits for a checkpoint in progress and starts no more; the caller closes the store.
    func stop() async throws {
        let running = state.withLock { state in
            state.stopped = true
            return state.wakingFromPace()
        }
        await running?.value
        try connection.close()
    }

    private func checkpointUntilCaughtUp() async {
        var lastStart = ContinuousClock.now
        while true {
            // The commits of the pause share the copy of each page they wrote.
            try? await Task.sleep(until: lastStart + pace)
            let proceed = state.withLock { state in
                state.pacing = false
                if state.stopped || state.paused { state.running = nil }
                return state.running != nil
            }
            guard proceed else { return }
            // A failure (the disk full, say) is the writer's to report on its next commit.
            let started = ContinuousClock.now
            lastStart = started
            let result = try? await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            metrics.checkpointed(.passive, in: ContinuousClock.now - started)
            if let result {
                logPages.store(result.walFrameCount, ordering: .relaxed)
            }
            let again = state.withLock { state in
                let again = state.committedSinceStart && !state.stopped && !state.paused
                state.committedSinceStart = false
                if !again { state.running = nil }
                state.pacing = again
                return again
            }
            if !again { return }
        }
    }
}
