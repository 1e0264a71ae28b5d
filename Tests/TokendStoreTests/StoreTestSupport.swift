import Foundation
import TokendCore

/// What the store suites share: a region, a hashing key, an open-mode caller, and fresh
/// folders for store files.
protocol StoreTesting {}

extension StoreTesting {
    var region: RegionName { RegionName("fr-par")! }
    var hasher: SecretHasher { SecretHasher(keyBytes: Array(repeating: 9, count: 32)) }
    var caller: ManagementPrincipal { try! ManagementAccess.open.authenticate(key: "test") }
    var origin: RequestOrigin { RequestOrigin(principal: caller, requestID: "test") }

    /// A new empty folder under the system's temporary one.
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokend-store-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Where a store file would go in a new empty folder.
    func storePath() throws -> String { try temporaryDirectory() + "/fr-par.sqlite" }
}
