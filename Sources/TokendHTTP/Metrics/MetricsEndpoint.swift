import Hummingbird
import NIOCore

/// `GET /metrics`: what Prometheus scrapes, in its text format (version 0.0.4). Served in
/// every mode and without credentials, as exporters are: its labels name routes, regions
/// and outcomes, never a token, a tenant or a secret.
struct MetricsEndpoint {
    let exporter: MetricsExporter

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: exporter.render())))
        }
    }
}
