import Foundation
import Testing

@testable import TokendConfiguration

@Suite struct HashKeyFileTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hash-key-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aHashKeyIsCreatedOnceWithMode0600AndReadBack() throws {
        let path = try temporaryDirectory() + "/hash.key"
        let created = try HashKeyFile.loadOrCreate(path: path)
        #expect(created.count == 32)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try HashKeyFile.loadOrCreate(path: path) == created)
        #expect(try HashKeyFile.load(path: path) == created)
    }

    @Test func aMalformedHashKeyFileIsRefused() throws {
        let path = try temporaryDirectory() + "/hash.key"
        try "not hex at all".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try HashKeyFile.loadOrCreate(path: path) }
    }
}
