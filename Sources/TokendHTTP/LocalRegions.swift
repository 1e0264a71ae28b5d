import Foundation
import TokendCore
import TokendStore

/// Opens the regions this process serves itself: one SQLite file each in the data directory.
public enum LocalRegions {
    public static func open(_ regions: [RegionName], dataDirectory: String, hasher: SecretHasher,
                            access: ManagementAccess, limits: RateLimits = .unlimited) throws -> [LocalRegionBackend] {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return try regions.map { region in
            let store = try SQLiteTokenStore(region: region, path: "\(dataDirectory)/\(region).sqlite")
            return LocalRegionBackend(service: RegionTokenService(region: region, store: store, hasher: hasher, limits: limits), access: access)
        }
    }
}
