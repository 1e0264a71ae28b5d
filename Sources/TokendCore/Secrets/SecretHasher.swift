import Crypto

/// Turns a secret into what the store keeps: HMAC-SHA256 under a per-deployment key.
/// A stolen database alone does not let anyone test guesses offline.
///
/// `@unchecked Sendable`: swift-crypto 3 does not mark `SymmetricKey` Sendable, but it is an
/// immutable value that is only ever read here.
package struct SecretHasher: @unchecked Sendable {
    package static let keyByteCount = 32
    private let key: SymmetricKey
    /// The HMAC with the key already absorbed, copied for each secret: keying it anew hashed
    /// both pads again for every verify (1.7 % of its CPU, perf).
    private let keyed: HMAC<SHA256>

    package init(keyBytes: [UInt8]) {
        self.key = SymmetricKey(data: keyBytes)
        self.keyed = HMAC<SHA256>(key: key)
    }

    /// A new random key, for a deployment that has none yet.
    package static func generateKeyBytes() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    package func hash(_ secret: some StringProtocol) -> [UInt8] {
        var mac = keyed
        mac.update(data: Array(secret.utf8))
        return Array(mac.finalize())
    }

    /// Whether `secret` hashes to `storedHash`, compared in constant time.
    package func matches(_ secret: some StringProtocol, storedHash: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(storedHash, authenticating: Array(secret.utf8), using: key)
    }
}
