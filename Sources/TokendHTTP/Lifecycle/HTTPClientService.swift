import AsyncHTTPClient
import ServiceLifecycle

/// Keeps an HTTP client (a remote region's connection pool) until the service group stops,
/// then shuts it down: after a graceful shutdown, or when the group is cancelled by a failure.
package struct HTTPClientService: Service {
    let client: HTTPClient

    package init(client: HTTPClient) { self.client = client }

    package func run() async throws {
        try? await gracefulShutdown()
        // In a task of its own, so a cancelled group still gets its connections closed.
        try await Task { try await client.shutdown() }.value
    }
}
