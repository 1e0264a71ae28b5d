import Foundation
import Testing
import TokendCore

@testable import TokendConfiguration

@Suite struct RegionCatalogTests {
    func folder(_ files: [String: String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("regions-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: "\(path)/\(name)", atomically: true, encoding: .utf8) }
        return path
    }

    @Test func theShippedRegionsFolderLoads() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../regions").path
        let regions = try RegionCatalog.load(directory: shipped)
        #expect(regions.map(\.name.rawValue) == ["fr-par", "nl-ams", "pl-waw"])
        #expect(regions.map(\.location) == (1...3).map { .remote(baseURL: "http://127.0.0.1:810\($0)") })
    }

    @Test func localAndRemoteRegionsLoadWithTheirTimeouts() throws {
        let path = try folder([
            "fr-par.json": #"{"name": "fr-par", "location": "local"}"#,
            "nl-ams.json": #"{"name": "nl-ams", "location": "http://127.0.0.1:8081", "connect_timeout_ms": 250, "read_timeout_ms": 900}"#,
            "README.txt": "ignored",
        ])
        let regions = try RegionCatalog.load(directory: path)
        #expect(regions.count == 2)
        #expect(regions[1].location == .remote(baseURL: "http://127.0.0.1:8081"))
        #expect(regions[1].connectTimeoutMilliseconds == 250)
        #expect(regions[1].readTimeoutMilliseconds == 900)
    }

    @Test func aLocalRegionMayNameItsStore() throws {
        let path = try folder([
            "fr-par.json": #"{"name": "fr-par", "location": "local", "store": "postgresql://tokend:pw@db.internal:6432/tokend"}"#,
            "nl-ams.json": #"{"name": "nl-ams", "location": "local", "store": "sqlite"}"#,
            "pl-waw.json": #"{"name": "pl-waw", "location": "local"}"#,
        ])
        let regions = try RegionCatalog.load(directory: path)
        guard case .postgresql(let database)? = regions[0].store else {
            Issue.record("fr-par's store is \(String(describing: regions[0].store))")
            return
        }
        #expect(database.host == "db.internal" && database.port == 6432 && database.username == "tokend")
        #expect(database.password == "pw" && database.database == "tokend")
        // Safe to log: the password is not shown.
        #expect(database.description == "postgresql://tokend:***@db.internal:6432/tokend")
        #expect(regions[1].store == .sqlite)
        #expect(regions[2].store == nil)
    }

    @Test(arguments: [
        ["fr-par.json": #"{"name": "FR-PAR", "location": "local"}"#],
        ["fr-par.json": #"{"name": "nl-ams", "location": "local"}"#],
        ["fr-par.json": #"{"name": "fr-par", "location": "ftp://host"}"#],
        ["fr-par.json": #"{"name": "fr-par", "location": "http://host:1/"}"#],
        ["fr-par.json": #"{"name": "fr-par", "location": "local", "read_timeout_ms": 0}"#],
        ["fr-par.json": #"{"name": "fr-par"}"#],
        ["fr-par.json": #"{"name": "fr-par", "location": "local", "store": "mysql://u@h/db"}"#],
        ["fr-par.json": #"{"name": "fr-par", "location": "local", "store": "postgresql://h/db"}"#],
        ["fr-par.json": #"{"name": "fr-par", "location": "http://127.0.0.1:8081", "store": "postgresql://u@h/db"}"#],
        ["fr-par.json": "{"],
        [:],
    ])
    func aBadFolderIsRefusedNamingTheProblem(files: [String: String]) throws {
        let path = try folder(files)
        #expect { try RegionCatalog.load(directory: path) } throws: { "\($0)".contains(path) }
    }
}
