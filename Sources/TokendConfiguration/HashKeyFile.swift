import Foundation
import TokendCore

#if canImport(Glibc)
    import Glibc
#endif

/// The deployment's secret-hashing key on disk: 64 hex characters, mode 0600. Created on
/// first start if missing; never logged. Losing it makes every issued secret unusable.
package enum HashKeyFile {
    package static func loadOrCreate(path: String) throws -> [UInt8] {
        if FileManager.default.fileExists(atPath: path) { return try load(path: path) }
        let key = SecretHasher.generateKeyBytes()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            // Another process may have created it between our check and our open.
            if errno == EEXIST { return try load(path: path) }
            throw ConfigurationError("cannot create hash key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let text = Array((key.hexString + "\n").utf8)
        guard write(descriptor, text, text.count) == text.count, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            // A partial key would make every later start refuse the file: leave none behind.
            unlink(path)
            throw ConfigurationError("cannot write hash key file \(path): \(reason)")
        }
        return key
    }

    package static func load(path: String) throws -> [UInt8] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("cannot read hash key file \(path)")
        }
        let digits = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        let malformed = ConfigurationError("hash key file \(path) must hold \(SecretHasher.keyByteCount * 2) hex characters")
        guard digits.count == SecretHasher.keyByteCount * 2 else { throw malformed }
        var key: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { throw malformed }
            key.append(byte)
        }
        return key
    }
}
