import ArgumentParser
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
        let definitions = try regionsFolder.load()
        let access = try options.managementAccess()
        let locals = definitions.filter { $0.location == .local }.map(\.name)
        var backends: [any RegionBackend] = locals.isEmpty ? [] : try options.openLocalRegions(locals, access: access)
        var remotes: [RemoteRegionBackend] = []
        for definition in definitions {
            if case .remote(let baseURL) = definition.location {
                remotes.append(RemoteRegionBackend(
                    region: definition.name, baseURL: baseURL,
                    connectTimeoutMilliseconds: definition.connectTimeoutMilliseconds,
                    readTimeoutMilliseconds: definition.readTimeoutMilliseconds))
            }
        }
        backends += remotes as [any RegionBackend]
        do {
            try await options.serve(backends, access: access)
        } catch {
            for remote in remotes { try? await remote.shutdown() }
            throw error
        }
        for remote in remotes { try await remote.shutdown() }
    }
}
