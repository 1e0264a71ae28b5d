import Foundation
import Testing
import TokendCore

@testable import TokendConfiguration

/// The keys file's `organisations` section: the portal's users of `--auth keys`.
@Suite struct PortalUsersFileTests {
    static let hash = try! PasswordHash.make("pw", rounds: 1024)
    static let configuredID = "xs_org_" + String(repeating: "0a", count: 16)

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID()).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func user(_ email: String, _ role: String = "member", password: String? = nil) -> String {
        #"{"email": "\#(email)", "role": "\#(role)", "password": "\#(password ?? Self.hash.encoded)"}"#
    }

    @Test func aKeysFileWithOrganisationsLoadsItsUsers() throws {
        let path = try write(
            """
            {"keys": [{"key": "admin-key-00000002", "projects": ["*"]}],
             "organisations": [
               {"name": "Training Org", "plan": "free", "users": [\(user("owner@example.com", "owner")), \(user("Viewer@Example.com", "viewer"))]},
               {"name": "Second", "id": "\(Self.configuredID)", "users": [\(user("admin@second.test", "admin")), \(user("member@second.test"))]}
             ]}
            """)
        let users = try PortalUsersFile.load(contentsOf: path)
        #expect(users.map(\.email) == ["owner@example.com", "Viewer@Example.com", "admin@second.test", "member@second.test"])
        #expect(users.map(\.role) == [.owner, .viewer, .admin, .member])
        let training = users[0].organization
        #expect(training.displayName == "Training Org")
        #expect(training.id == OrganizationID.derived(fromName: "Training Org"))
        #expect(training.slug.rawValue == "trainingorg")
        #expect(training.plan == .free)
        #expect(users[1].organization == training)
        let second = users[2].organization
        #expect(second.id.rawValue == Self.configuredID)
        #expect(second.plan == .scale)
        #expect(users.allSatisfy { $0.password?.matches("pw") == true })
        #expect(users.allSatisfy { $0.password?.matches("PW") == false })
        // The same file is still a keyring.
        #expect(try Keyring.load(contentsOf: path).count == 1)

        // The users sign in through the portal's access.
        let access = PortalAccess.users(users)
        #expect(try access.signIn(email: "viewer@example.com", password: "pw").role == .viewer)
        #expect(throws: TokendError.self) { try access.signIn(email: "owner@example.com", password: "nope") }
        #expect(access.organizations.count == 2)
        #expect(access.members(of: second.id).map(\.email) == ["admin@second.test", "member@second.test"])
    }

    @Test func aFileWithoutOrganisationsHasNoUsers() throws {
        #expect(try PortalUsersFile.load(contentsOf: try write(#"{"keys": []}"#)).isEmpty)
        #expect(try PortalUsersFile.load(contentsOf: try write(#"{"organisations": []}"#)).isEmpty)
    }

    @Test func brokenEntriesAreRefusedNamingTheFileAndThePlace() throws {
        let cases: [(String, [String])] = [
            (
                #"{"organisations": [{"name": "A", "users": [\#(user("a@a.test", "superuser"))]}]}"#,
                ["organisation #1, user #1", "role must be owner, admin, member or viewer"]
            ),
            (
                #"{"organisations": [{"name": "A", "users": [\#(user("a@a.test")), \#(user("b@a.test", password: "Training123!"))]}]}"#,
                ["organisation #1, user #2", "password must be a scrypt hash"]
            ),
            (
                #"{"organisations": [{"name": "A", "users": [\#(user("a@a.test")), \#(user("A@A.test", "viewer"))]}]}"#,
                ["organisation #1, user #2", "listed twice"]
            ),
            (
                #"{"organisations": [{"name": "A", "users": [\#(user("a@a.test"))]}, {"name": "B", "users": [\#(user("a@a.test"))]}]}"#,
                ["organisation #2, user #1", "listed twice"]
            ),
            (
                #"{"organisations": [{"name": "A", "users": []}, {"name": "B", "plan": "platinum", "users": []}]}"#,
                ["organisation #2", "plan must be one of free, scale, enterprise"]
            ),
            (#"{"organisations": [{"name": "", "users": []}]}"#, ["organisation #1", "name must be 1 to 64 characters"]),
            (
                #"{"organisations": [{"name": "A", "id": "xs_org_123", "users": []}]}"#,
                ["organisation #1", "id must be xs_org_ and 32 hex digits"]
            ),
            (
                #"{"organisations": [{"name": "A", "users": []}, {"name": "B", "id": "\#(OrganizationID.derived(fromName: "A"))", "users": []}]}"#,
                ["organisation #2", "appears twice"]
            ),
            (#"{"organisations": [{"name": "A"}]}"#, ["keys file"]),
            (#"{"organisations": "everyone"}"#, ["keys file"]),
            ("not json", ["keys file"]),
        ]
        for (text, expected) in cases {
            let path = try write(text)
            do {
                let users = try PortalUsersFile.load(contentsOf: path)
                Issue.record("\(text) loaded \(users.count) users")
            } catch let error as ConfigurationError {
                #expect(error.description.contains(path), "\(error)")
                for part in expected { #expect(error.description.contains(part), "\(error) lacks \(part)") }
                #expect(!error.description.contains(Self.hash.encoded), "\(error) shows a hash")
            }
        }
    }

    @Test func aMissingFileIsAConfigurationErrorNamingIt() {
        let path = "/nonexistent/keys-\(UUID()).json"
        #expect { try PortalUsersFile.load(contentsOf: path) } throws: { ($0 as? ConfigurationError)?.description.contains(path) == true }
    }
}
