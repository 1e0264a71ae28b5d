import ArgumentParser
import Metrics
import TokendCore
import TokendHTTP

/// `tokend serve`: every region of the regions folder in this one process, whatever location
/// its file names, each in its own SQLite file (or the PostgreSQL store its file or `--store`
/// names). The command a new user runs.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve every region of the regions folder from this process.")

    @OptionGroup var options: ServerOptions

    @OptionGroup var regionsFolder: RegionsFolderOption

    func run() async throws {
        options.bootstrapLogging()
        let definitions = try regionsFolder.load(builtInWhenAbsent: true)
        try options.refuseStoresWhenEphemeral(definitions)
        let access = try options.managementAccess()
        let metrics = options.metricsExporter()
        let backends = try await options.openLocalRegions(
            definitions.map(\.name), stores: definitions.storesNamed, access: access, metrics: metrics)
        try await options.serve(backends, access: access, metrics: metrics, definitions: definitions)
    }
}
