import Crypto

/// The management keys a deployment accepts, each with the projects it may manage.
///
/// Keys are held by their SHA-256 so a lookup compares digests, not the secret text byte by
/// byte. (The keyring file is read at the edge: TokendConfiguration's `KeyringFile`.)
package struct Keyring: Sendable {
    private let principals: [[UInt8]: ManagementPrincipal]

    /// Shorter keys are refused: a management key is a secret, not a password to remember.
    package static let minimumKeyLength = 16

    package var count: Int { principals.count }

    package init(entries: [(key: String, projects: ProjectAccess)]) {
        var principals: [[UInt8]: ManagementPrincipal] = [:]
        for entry in entries {
            let digest = Self.digest(entry.key)
            principals[digest] = ManagementPrincipal(
                keyPrefix: Self.displayPrefix(of: entry.key), projects: entry.projects,
                identity: digest.hexString)
        }
        self.principals = principals
    }

    package func principal(for key: String) -> ManagementPrincipal? {
        principals[Self.digest(key)]
    }

    static func digest(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Array(key.utf8))) }

    static func displayPrefix(of key: String) -> String { String(key.prefix(8)) }
}
