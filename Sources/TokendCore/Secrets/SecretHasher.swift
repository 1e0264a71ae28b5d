import Crypto

/// Turns a secret into what the store keeps: HMAC-SHA256 under a per-deployment key.
/// A stolen database alone does not let anyone test guesses offline.
///
/// `@unchecked Sendable`: swift-crypto 3 does not mark `SymmetricKey` Sendable, but it is an
/// immutable value that is only ever read here.
public struct SecretHasher: @unchecked Sendable {
    public static let keyByteCount = 32
    private let key: SymmetricKey

    public init(keyBytes: [UInt8]) {
        self.key = SymmetricKey(data: keyBytes)
    }

    /// A new random key, for a deployment that has none yet.
    public static func generateKeyBytes() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    public func hash(_ secret: some StringProtocol) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(secret.utf8), using: key))
    }

    /// Whether `secret` hashes to `storedHash`, compared in constant time.
    public func matches(_ secret: some StringProtocol, storedHash: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(storedHash, authenticating: Array(secret.utf8), using: key)
    }
}
