import ArgumentParser
import Metrics
import TokendCore
import TokendHTTP

/// `tokend region`: one region's server, behind a gateway or on its own.
struct Region: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve one region from its store: its own SQLite file, or a PostgreSQL schema other instances may share.")

    @OptionGroup var options: ServerOptions

    @Option(help: "The region to serve, like fr-par.")
    var region: String

    func validate() throws {
        guard RegionName(region) != nil else { throw ValidationError("--region must be \(RegionName.shapeDescription)") }
    }

    func run() async throws {
        options.bootstrapLogging()
        let access = try options.managementAccess()
        let metrics = options.metricsExporter()
        let backends = try await options.openLocalRegions([RegionName(region)!], access: access, metrics: metrics)
        try await options.serve(backends, access: access, metrics: metrics, portalKey: .sharedWithGateway)
    }
}
