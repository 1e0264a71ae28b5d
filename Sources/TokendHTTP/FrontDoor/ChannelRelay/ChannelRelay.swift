import HTTPTypes
import Logging
import TokendCore

/// What a gateway's `ChannelRelayHandler`s share: which requests they relay themselves and
/// to which remote region, and where each relayed request is counted, logged and journalled
/// as the router's middlewares would.
///
/// A relayed request skips the whole of Hummingbird's request path (a task per request, the
/// async streams in and out, the router, five middlewares): 70 % of a gateway's CPU per
/// relayed get went to that machinery, 133 µs against nginx's 23 µs (perf, BENCHMARKS.md).
/// Only plain requests are taken: a remote region's management path or a verify whose
/// secret names a remote region, reached over plain HTTP, with a body framed by a length
/// within the limit. Anything else (an unusual path, an xScaler key, a fault rule in force,
/// `https://` regions) goes through the router exactly as before, which also keeps every
/// error it answers in one place.
final class ChannelRelay: Sendable {
    struct Target {
        let backend: RemoteRegionBackend
        /// The route template the router would have matched, for metrics and the log line.
        let route: String
        /// For a verify: it answers refusals in the proxy's terms (`VerifyMode`).
        let isVerify: Bool
    }

    private let regions: [RegionName: (backend: RemoteRegionBackend, route: String)]
    private let metrics: RequestMetricHandles
    private let fakeCloud: FakeCloud?
    let logger: Logger

    /// Nil where no region of `frontDoor` is remote over plain HTTP: nothing to relay.
    init?(frontDoor: FrontDoor, logger: Logger) {
        let remote = frontDoor.backends.values.compactMap { $0 as? RemoteRegionBackend }.filter(\.relaysOnChannels)
        guard !remote.isEmpty else { return nil }
        regions = Dictionary(
            uniqueKeysWithValues: remote.map { ($0.region, ($0, RegionPaths.root(of: $0.region.rawValue) + "/**")) })
        metrics = frontDoor.requestMetrics
        fakeCloud = frontDoor.fakeCloud
        self.logger = logger
    }

    /// The region `head` goes to, where this relay takes it; nil leaves it to the router.
    func target(for head: HTTPRequest) -> Target? {
        guard let uri = head.path, Self.isPlainlyFramed(head.headerFields) else { return nil }
        // Fault rules are applied by the router's fake-cloud middleware, the one place they live.
        if let fakeCloud, fakeCloud.faults.isArmed { return nil }
        let path = uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { uri[..<$0] } ?? uri[...]
        if path == Self.verifyPath {
            guard Self.verifyMethods.contains(head.method),
                let secret = BearerSecret.presented(inAuthorization: head.headerFields[.authorization]),
                !XScalerKeyFormat.claims(secret), let region = SecretFormat.region(of: secret), let found = regions[region]
            else { return nil }
            return Target(backend: found.backend, route: Self.verifyPath, isVerify: true)
        }
        guard RegionPaths.methods.contains(head.method), let region = Self.region(inPlain: path), let found = regions[region] else {
            return nil
        }
        return Target(backend: found.backend, route: found.route, isVerify: false)
    }

    /// Counts, logs and journals one relayed request, as `RequestMetricsMiddleware` and
    /// `FakeCloudMiddleware` do for the router's.
    func record(
        _ head: HTTPRequest, to target: Target, status: Int, since started: ContinuousClock.Instant, requestID: String
    ) {
        let duration = ContinuousClock.now - started
        metrics.record(
            route: target.route, method: head.method, status: status, region: target.backend.region, duration: duration,
            logger: logger, requestID: requestID)
        guard let fakeCloud else { return }
        let uri = head.path ?? "/"
        fakeCloud.journal.record(
            RequestJournal.Entry(
                at: .now(), method: head.method, path: String(uri.split(separator: "?", maxSplits: 1).first ?? ""),
                verifyRegion: target.isVerify ? target.backend.region : nil, status: status,
                durationMicroseconds: duration.microseconds, requestID: requestID))
    }

    private static let verifyPath = VerifyController.path.description
    /// Not HEAD: its answer has no body to relay, and the router answers it as it always has.
    private static let verifyMethods = VerifyController.methods.filter { $0 != .head }
    private static let regionsPrefix = RegionPaths.root(of: "")

    /// No body but one of a length within the limit, and no `Expect: 100-continue` to answer.
    private static func isPlainlyFramed(_ fields: HTTPFields) -> Bool {
        guard fields[.transferEncoding] == nil, fields[.expect] == nil else { return false }
        guard let length = fields[.contentLength] else { return true }
        return Int(length).map { (0...RequestLimits.bodyBytes).contains($0) } ?? false
    }

    /// The region of `/cockpit/v1/regions/<region>/<more>` where the path is plain: letters,
    /// digits, `-`, `_` and single slashes, not ending in one. Others (percent-escapes, dots,
    /// empty segments) the router reads as it always has.
    private static func region(inPlain path: Substring) -> RegionName? {
        guard path.hasPrefix(regionsPrefix) else { return nil }
        var previous: UInt8 = 0
        for byte in path.utf8 {
            let plain =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || (byte == UInt8(ascii: "/") && previous != UInt8(ascii: "/"))
            guard plain else { return nil }
            previous = byte
        }
        let rest = path.dropFirst(regionsPrefix.count)
        guard previous != UInt8(ascii: "/"), let slash = rest.firstIndex(of: "/") else { return nil }
        return RegionName(String(rest[..<slash]))
    }
}
