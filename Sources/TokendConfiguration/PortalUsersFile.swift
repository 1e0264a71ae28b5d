import Foundation
import TokendCore

/// The portal's users, from the `organisations` section of the `--auth keys` keys file:
///
///     {"organisations": [{"name": "Training Org", "plan": "free", "id": "xs_org_<32 hex>",
///       "users": [{"email": "owner@example.com", "role": "owner", "password": "scrypt$…"}]}]}
///
/// `id` is optional (derived from the name); `plan` defaults to `scale`; passwords are kept
/// only as scrypt hashes (`tokend hash-password` makes one).
package enum PortalUsersFile {
    package static func load(contentsOf path: String) throws -> [PortalUser] {
        struct File: Decodable {
            struct Organisation: Decodable {
                struct User: Decodable {
                    let email: String
                    let role: String
                    let password: String
                }
                let id: String?
                let name: String
                let plan: String?
                let users: [User]
            }
            let organisations: [Organisation]?
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigurationError("keys file \(path): \(error)")
        }
        var emails = Set<String>()
        var ids = Set<OrganizationID>()
        var users: [PortalUser] = []
        for (index, entry) in (file.organisations ?? []).enumerated() {
            let place = "keys file \(path): organisation #\(index + 1)"
            guard !entry.name.isEmpty, entry.name.count <= 64 else { throw ConfigurationError("\(place): name must be 1 to 64 characters") }
            guard let plan = Plan.named(entry.plan ?? Plan.scale.id) else {
                throw ConfigurationError("\(place): plan must be one of \(Plan.defaults.map(\.id).joined(separator: ", "))")
            }
            let id = try entry.id.map { text in
                guard let id = OrganizationID(text) else { throw ConfigurationError("\(place): id must be xs_org_ and 32 hex digits") }
                return id
            }
            let organization = Organization(id: id, displayName: entry.name, plan: plan)
            guard ids.insert(organization.id).inserted else { throw ConfigurationError("\(place): id \(organization.id) appears twice") }
            for (userIndex, user) in entry.users.enumerated() {
                let userPlace = "\(place), user #\(userIndex + 1)"
                guard let role = PortalRole(rawValue: user.role) else {
                    throw ConfigurationError("\(userPlace): role must be owner, admin, member or viewer")
                }
                guard let hash = PasswordHash(encoded: user.password) else {
                    throw ConfigurationError("\(userPlace): password must be a scrypt hash from `tokend hash-password`, never the password")
                }
                guard emails.insert(user.email.lowercased()).inserted else {
                    throw ConfigurationError("\(userPlace): \(user.email) is listed twice")
                }
                users.append(PortalUser(email: user.email, role: role, organization: organization, password: hash))
            }
        }
        return users
    }
}
