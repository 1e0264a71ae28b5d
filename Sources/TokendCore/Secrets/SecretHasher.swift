import Crypto

/// Turns a secret into what the store keeps: HMAC-SHA256 under a per-deployment key.
/// A stolen database alone does not let anyone test guesses offline.
///
/// `@unchecked Sendable`: swift-crypto 3 does not mark `SymmetricKey` Sendable, but it is an
/// immutable value that is only ever read here.
package struct SecretHasher: @unchecked Sendable {
    package static let keyByteCount = 32
    private let key: SymmetricKey

    package init(keyBytes: [UInt8]) {
        self.key = SymmetricKey(data: keyBytes)
    }

    /// A new random key, for a deployment that has none yet.
    package static func generateKeyBytes() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    package func hash(_ secret: some StringProtocol) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(secret.utf8), using: key))
    }

    /// Whether `secret` hashes to `storedHash`, compared in constant time.
    package func matches(_ secret: some StringProtocol, storedHash: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(storedHash, authenticating: Array(secret.utf8), using: key)
    }
}
