import Metrics
import Synchronization
import TokendCore

/// What a store does, as `/metrics` names it: one label value per store method.
enum StoreOperation: String, CaseIterable, Sendable {
    case createToken = "create_token", getToken = "get_token", listTokens = "list_tokens", deleteToken = "delete_token"
    case rotateToken = "rotate_token", credential, idempotencyRecord = "idempotency_record"
    case recordVerifications = "record_verifications", activity, removeAll = "remove_all", health
    case createTenant = "create_tenant", getTenant = "get_tenant", listTenants = "list_tenants", updateTenant = "update_tenant"
    case deleteTenant = "delete_tenant", revokeKey = "revoke_key", revokedKey = "revoked_key", tenantTokens = "tenant_tokens"
    case tenantActivity = "tenant_activity", traffic, bytesPushed = "bytes_pushed", exportImage = "export_image"
    case importImage = "import_image", close
}

/// A store's measurements: each operation's duration and storage errors, how many writes share a
/// commit, how long commits and checkpoints take. The error counters are made when the store
/// opens (a first error then shows as a change from 0); an operation's duration histogram on
/// its first use, so the exposition carries only operations that ran (26 histograms a region
/// otherwise, most of a scrape). Recording is a lock and an atomic add or a histogram's lock.
final class StoreMetrics: Sendable {
    private let factory: any MetricsFactory
    private let region: (String, String)
    private let durations: Mutex<[StoreOperation: Timer]>
    private let errors: [Counter]
    private let batchSizes: Recorder
    private let commits: Timer
    private let passiveCheckpoints: Timer
    private let restartCheckpoints: Timer

    init(region: RegionName, factory: any MetricsFactory) {
        let region = ("region", region.rawValue)
        self.factory = factory
        self.region = region
        durations = Mutex([:])
        errors = StoreOperation.allCases.map { operation in
            Counter(label: "tokend_store_errors_total", dimensions: [region, ("operation", operation.rawValue)], factory: factory)
        }
        batchSizes = Recorder(label: "tokend_store_commit_batch_size", dimensions: [region], aggregate: true, factory: factory)
        commits = Timer(
            label: "tokend_store_commit_duration_seconds", dimensions: [region], preferredDisplayUnit: .seconds, factory: factory)
        passiveCheckpoints = Timer(
            label: "tokend_store_checkpoint_duration_seconds", dimensions: [region, ("mode", "passive")], preferredDisplayUnit: .seconds,
            factory: factory)
        restartCheckpoints = Timer(
            label: "tokend_store_checkpoint_duration_seconds", dimensions: [region, ("mode", "restart")], preferredDisplayUnit: .seconds,
            factory: factory)
    }

    /// Runs `body`, recording its duration.
    func measure<Value>(_ operation: StoreOperation, _ body: () throws -> Value) rethrows -> Value {
        let started = ContinuousClock.now
        defer { duration(of: operation).record(duration: ContinuousClock.now - started) }
        return try body()
    }

    func measure<Value>(_ operation: StoreOperation, _ body: () async throws -> Value) async rethrows -> Value {
        let started = ContinuousClock.now
        defer { duration(of: operation).record(duration: ContinuousClock.now - started) }
        return try await body()
    }

    /// Storage trouble in `operation` (what `tokend_store_errors_total` counts and its alert
    /// pages on): not a caller's mistake such as a conflicting id or an image that is no store.
    func failed(_ operation: StoreOperation) { errors[operation.index].increment() }

    private func duration(of operation: StoreOperation) -> Timer {
        durations.withLock { made in
            if let timer = made[operation] { return timer }
            let timer = Timer(
                label: "tokend_store_operation_duration_seconds", dimensions: [region, ("operation", operation.rawValue)],
                preferredDisplayUnit: .seconds, factory: factory)
            made[operation] = timer
            return timer
        }
    }

    func committed(batchSize: Int, in duration: Duration) {
        batchSizes.record(batchSize)
        commits.record(duration: duration)
    }

    enum Checkpoint { case passive, restart }

    func checkpointed(_ mode: Checkpoint, in duration: Duration) {
        switch mode {
        case .passive: passiveCheckpoints.record(duration: duration)
        case .restart: restartCheckpoints.record(duration: duration)
        }
    }
}

extension StoreOperation {
    /// Its position in `allCases`, where the handles are.
    fileprivate var index: Int { Self.indices[self]! }

    private static let indices = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })
}
