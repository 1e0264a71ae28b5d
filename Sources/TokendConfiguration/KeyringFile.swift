import Foundation
import TokendCore

/// The keyring file of `--auth keys`:
///
///     {"keys": [{"key": "…", "projects": ["<project uuid>", …]}]}
///
/// `"projects": ["*"]` grants every project.
extension Keyring {
    /// Reads and checks a keyring file; every problem names the file and the entry.
    package static func load(contentsOf path: String) throws -> Keyring {
        struct File: Decodable {
            struct Entry: Decodable {
                let key: String
                let projects: [String]
            }
            /// Optional: a keys file may hold only the portal's `organisations`.
            let keys: [Entry]?
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigurationError("keyring \(path): \(error)")
        }
        var seen = Set<String>()
        let entries = try (file.keys ?? []).enumerated().map { index, entry -> (key: String, projects: ProjectAccess) in
            guard entry.key.count >= Keyring.minimumKeyLength else {
                throw ConfigurationError("keyring \(path): key #\(index + 1) is shorter than \(Keyring.minimumKeyLength) characters")
            }
            guard seen.insert(entry.key).inserted else {
                throw ConfigurationError("keyring \(path): key #\(index + 1) appears twice")
            }
            if entry.projects == ["*"] { return (entry.key, .all) }
            let projects = try entry.projects.map { text -> ProjectID in
                guard let id = ProjectID(text) else {
                    throw ConfigurationError("keyring \(path): key #\(index + 1) names '\(text)', which is not a project UUID or \"*\"")
                }
                return id
            }
            return (entry.key, .only(Set(projects)))
        }
        return Keyring(entries: entries)
    }
}
