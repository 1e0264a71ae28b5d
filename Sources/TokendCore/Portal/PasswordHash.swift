import Crypto
import CryptoExtras

/// A portal user's password as the keys file keeps it: scrypt, never the password itself.
///
///     scrypt$<N>$<r>$<p>$<salt hex>$<hash hex>
package struct PasswordHash: Sendable, Hashable {
    /// 2¹⁵ rounds of 8 × 1 KiB blocks: 32 MiB and about 0.1 s per check on this machine's class.
    package static let defaultRounds = 1 << 15
    static let blockSize = 8
    static let parallelism = 1
    static let hashByteCount = 32

    let rounds: Int
    let blockSize: Int
    let parallelism: Int
    let salt: [UInt8]
    let hash: [UInt8]

    package init?(encoded text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let blockSize = Int(parts[2]),
            let parallelism = Int(parts[3]), rounds > 1, rounds.nonzeroBitCount == 1, rounds <= 1 << 20,
            (1...32).contains(blockSize), (1...16).contains(parallelism),
            let salt = Self.bytes(hex: parts[4]), salt.count >= 16, let hash = Self.bytes(hex: parts[5]), hash.count >= 16
        else { return nil }
        (self.rounds, self.blockSize, self.parallelism, self.salt, self.hash) = (rounds, blockSize, parallelism, salt, hash)
    }

    /// A new hash of `password` with a fresh salt.
    package static func make(_ password: String, rounds: Int = defaultRounds) throws -> PasswordHash {
        let salt = SecureRandom.bytes(16)
        let hash = try derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism, count: hashByteCount)
        return PasswordHash(encoded: "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(salt.hexString)$\(hash.hexString)")!
    }

    package var encoded: String { "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(salt.hexString)$\(hash.hexString)" }

    /// Whether `password` is the one hashed here, compared in constant time.
    package func matches(_ password: String) -> Bool {
        guard
            let derived = try? Self.derive(
                password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism, count: hash.count)
        else { return false }
        return zip(derived, hash).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 && derived.count == hash.count
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int, blockSize: Int, parallelism: Int, count: Int) throws
        -> [UInt8]
    {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: count, rounds: rounds, blockSize: blockSize,
            parallelism: parallelism, maxMemory: 256 * 1024 * 1024)
        return key.withUnsafeBytes { Array($0) }
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
