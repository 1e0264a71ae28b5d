import ArgumentParser
import Foundation
import Hummingbird
import TokendCore
import TokendHTTP

/// `tokend serve`: every region of the regions folder in this one process, each in its
/// own SQLite file. The command a new user runs.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve every region of the regions folder from this process.")

    @OptionGroup var options: ServerOptions

    @Option(help: "Folder of region files (<region>.json).")
    var regions = "regions"

    func run() async throws {
        let logger = options.logger()
        let definitions = try RegionCatalog.load(directory: regions)
        let access = try options.managementAccess()
        try FileManager.default.createDirectory(atPath: options.dataDirectory, withIntermediateDirectories: true)
        let backends = try LocalRegions.open(definitions.map(\.name), dataDirectory: options.dataDirectory,
                                             hasher: try options.hasher(), access: access)
        logger.info("serving", metadata: [
            "regions": "\(definitions.map(\.name.rawValue))", "address": "\(options.host):\(options.port)",
            "auth": "\(options.auth.rawValue)", "data_dir": "\(options.dataDirectory)",
        ])
        let app = buildApplication(frontDoor: FrontDoor(backends: backends, access: access),
                                   listen: ListenSettings(host: options.host, port: options.port), logger: logger)
        try await app.runService()
    }
}
