import Foundation
import Testing
import TokendCore

@testable import TokendConfiguration

@Suite struct KeyringTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keyring-\(UUID()).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aKeyringFileGrantsEachKeyItsProjects() throws {
        let project = "aaaaaaaa-0000-4000-8000-000000000001"
        let keyring = try Keyring.load(
            contentsOf: try write(
                """
                {"keys": [{"key": "limited-key-000001", "projects": ["\(project)"]}, {"key": "admin-key-00000002", "projects": ["*"]}]}
                """))
        #expect(keyring.count == 2)
        let limited = try #require(keyring.principal(for: "limited-key-000001"))
        #expect(limited.projects == .only([ProjectID(project)!]))
        #expect(limited.keyPrefix == "limited-")
        #expect(keyring.principal(for: "admin-key-00000002")?.projects == .all)
        #expect(keyring.principal(for: "limited-key-000002") == nil)
    }

    @Test(arguments: [
        #"{"keys": [{"key": "short", "projects": ["*"]}]}"#,
        #"{"keys": [{"key": "long-enough-key-1", "projects": ["not-a-uuid"]}]}"#,
        #"{"keys": [{"key": "long-enough-key-1", "projects": ["*"]}, {"key": "long-enough-key-1", "projects": ["*"]}]}"#,
        #"{"keys": "nope"}"#,
        "not json",
    ])
    func aBrokenKeyringIsRefusedWithItsPath(text: String) throws {
        let path = try write(text)
        #expect { try Keyring.load(contentsOf: path) } throws: { "\($0)".contains(path) }
    }

    @Test func openAccessTakesAnyNonEmptyKey() throws {
        #expect(try ManagementAccess.open.authenticate(key: "x").projects == .all)
        #expect(throws: TokendError.authenticationDenied(method: .unknownMethod, reason: .invalidArgument)) {
            try ManagementAccess.open.authenticate(key: "")
        }
    }
}
