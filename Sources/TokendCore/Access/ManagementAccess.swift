import Crypto
import Foundation

/// Who is calling the management API, once their `X-Auth-Token` is accepted.
public struct ManagementPrincipal: Sendable, Hashable {
    /// The key's first characters, safe to log and to show in an audit trail.
    public let keyPrefix: String
    public let projects: ProjectAccess
    /// Tells keys apart without holding them (a digest of the key): what per-caller state,
    /// like idempotency keys, is filed under.
    public let identity: String

    public init(keyPrefix: String, projects: ProjectAccess, identity: String) {
        self.keyPrefix = keyPrefix
        self.projects = projects
        self.identity = identity
    }
}

/// How management keys are checked.
public enum ManagementAccess: Sendable {
    /// Any non-empty key may manage every project: for local use and test suites.
    case open
    /// Only the keys of a keyring, each limited to its projects.
    case keys(Keyring)

    public var isOpen: Bool { if case .open = self { true } else { false } }

    public func authenticate(key: String?) throws(TokendError) -> ManagementPrincipal {
        guard let key, !key.isEmpty else {
            throw .authenticationDenied(method: .unknownMethod, reason: .invalidArgument)
        }
        switch self {
        case .open:
            return ManagementPrincipal(keyPrefix: Keyring.displayPrefix(of: key), projects: .all, identity: Keyring.digest(key).hexString)
        case .keys(let keyring):
            guard let principal = keyring.principal(for: key) else {
                throw .authenticationDenied(method: .apiKey, reason: .notFound)
            }
            return principal
        }
    }
}

/// The management keys a deployment accepts, each with the projects it may manage.
///
/// File format (JSON): `{"keys": [{"key": "…", "projects": ["<project uuid>", …]}]}`;
/// `"projects": ["*"]` grants every project. Keys are held by their SHA-256 so a lookup
/// compares digests, not the secret text byte by byte.
public struct Keyring: Sendable {
    private let principals: [[UInt8]: ManagementPrincipal]

    public var count: Int { principals.count }

    public init(entries: [(key: String, projects: ProjectAccess)]) {
        var principals: [[UInt8]: ManagementPrincipal] = [:]
        for entry in entries {
            let digest = Self.digest(entry.key)
            principals[digest] = ManagementPrincipal(keyPrefix: Self.displayPrefix(of: entry.key), projects: entry.projects,
                                                     identity: digest.hexString)
        }
        self.principals = principals
    }

    public func principal(for key: String) -> ManagementPrincipal? {
        principals[Self.digest(key)]
    }

    static func digest(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Array(key.utf8))) }

    static func displayPrefix(of key: String) -> String { String(key.prefix(8)) }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads and checks a keyring file; every problem names the file and the entry.
    public static func load(contentsOf path: String) throws -> Keyring {
        struct File: Decodable {
            struct Entry: Decodable { let key: String; let projects: [String] }
            let keys: [Entry]
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw LoadError(description: "keyring \(path): \(error)")
        }
        var seen = Set<String>()
        let entries = try file.keys.enumerated().map { index, entry -> (key: String, projects: ProjectAccess) in
            guard entry.key.count >= 16 else {
                throw LoadError(description: "keyring \(path): key #\(index + 1) is shorter than 16 characters")
            }
            guard seen.insert(entry.key).inserted else {
                throw LoadError(description: "keyring \(path): key #\(index + 1) appears twice")
            }
            if entry.projects == ["*"] { return (entry.key, .all) }
            let projects = try entry.projects.map { text -> ProjectID in
                guard let id = ProjectID(text) else {
                    throw LoadError(description: "keyring \(path): key #\(index + 1) names '\(text)', which is not a project UUID or \"*\"")
                }
                return id
            }
            return (entry.key, .only(Set(projects)))
        }
        return Keyring(entries: entries)
    }
}
