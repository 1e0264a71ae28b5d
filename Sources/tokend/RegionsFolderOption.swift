import ArgumentParser
import TokendConfiguration

/// The `--regions` folder that `serve` and `gateway` read.
struct RegionsFolderOption: ParsableArguments {
    @Option(help: "Folder of region files (<region>.json).")
    var regions = "regions"

    func load() throws -> [RegionDefinition] { try RegionCatalog.load(directory: regions) }
}
