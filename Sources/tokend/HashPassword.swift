import ArgumentParser
import Foundation
import TokendCore

/// `tokend hash-password`: the scrypt hash a keys file keeps for a portal user's password.
struct HashPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Read a portal user's password on standard input and print its scrypt hash for the keys file.")

    func run() throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("give the password on standard input (one line)")
        }
        print(try PasswordHash.make(line).encoded)
    }
}
