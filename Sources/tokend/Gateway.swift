import ArgumentParser
import Metrics
import TokendConfiguration
import TokendCore
import TokendHTTP

/// `tokend gateway`: one front door for the regions of a folder, relaying to the remote
/// ones and serving the `local` ones itself.
struct Gateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Route each region's requests to where its regions file says it lives.")

    @OptionGroup var options: ServerOptions

    @OptionGroup var regionsFolder: RegionsFolderOption

    func run() async throws {
        options.bootstrapLogging()
        let definitions = try regionsFolder.load(builtInWhenAbsent: false)
        try options.refuseStoresWhenEphemeral(definitions)
        let access = try options.managementAccess()
        let locals = definitions.filter { $0.location == .local }.map(\.name)
        let metrics = options.metricsExporter()
        var backends: [any RegionBackend] =
            locals.isEmpty
            ? [] : try await options.openLocalRegions(locals, stores: definitions.storesNamed, access: access, metrics: metrics)
        for definition in definitions {
            if case .remote(let baseURL) = definition.location {
                backends.append(
                    RemoteRegionBackend(
                        region: definition.name, baseURL: baseURL,
                        connectTimeoutMilliseconds: definition.connectTimeoutMilliseconds,
                        readTimeoutMilliseconds: definition.readTimeoutMilliseconds,
                        metrics: metrics?.factory ?? NOOPMetricsHandler.instance))
            }
        }
        try await options.serve(backends, access: access, metrics: metrics, definitions: definitions, portalKey: .sharedWithGateway)
    }
}
