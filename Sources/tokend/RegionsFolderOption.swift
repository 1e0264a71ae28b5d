import ArgumentParser
import Foundation
import TokendConfiguration
import TokendCore

/// The `--regions` folder that `serve` and `gateway` read.
struct RegionsFolderOption: ParsableArguments {
    static let defaultFolder = "regions"

    @Option(help: "Folder of region files (<region>.json); default: ./regions (for serve: the public API's regions when there is none).")
    var regions: String?

    /// The regions of the folder. `serve` run where there is no `./regions` and none was
    /// named (a test suite's own folder, say) serves the public API's three regions.
    func load(builtInWhenAbsent: Bool) throws -> [RegionDefinition] {
        if regions == nil, builtInWhenAbsent, !FileManager.default.fileExists(atPath: Self.defaultFolder) {
            return ["fr-par", "nl-ams", "pl-waw"].map { RegionDefinition(name: RegionName($0)!, location: .local) }
        }
        return try RegionCatalog.load(directory: regions ?? Self.defaultFolder)
    }
}

extension [RegionDefinition] {
    /// The stores the region files name, by region.
    var storesNamed: [RegionName: StoreLocation] {
        Dictionary(uniqueKeysWithValues: compactMap { definition in definition.store.map { (definition.name, $0) } })
    }
}
