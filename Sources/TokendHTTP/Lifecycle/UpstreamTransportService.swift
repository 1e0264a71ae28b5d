import ServiceLifecycle

/// Keeps a remote region's connections until the service group stops, then closes them:
/// after a graceful shutdown, or when the group is cancelled by a failure.
struct UpstreamTransportService: Service {
    let transport: any UpstreamTransport

    func run() async throws {
        try? await gracefulShutdown()
        // In a task of its own, so a cancelled group still gets its connections closed.
        await Task { await transport.shutdown() }.value
    }
}

/// Named for the service group (why: `RegionStoreService`'s description).
extension UpstreamTransportService: CustomStringConvertible {
    var description: String { "a remote region's connections" }
}
