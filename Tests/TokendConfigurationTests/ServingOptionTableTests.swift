import Foundation
import Testing

@testable import TokendConfiguration

/// The table of variables and config keys covers every option of the serving commands, as the
/// built binary's argument-parser knows them, and README documents each row: a new flag
/// without its variable fails here.
@Suite struct ServingOptionTableTests {
    /// The built `tokend` beside this test bundle (`swift build` and `swift test` put both in
    /// the same products folder), or TOKEND_BINARY's.
    func tokendBinary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["TOKEND_BINARY"] { return URL(fileURLWithPath: path) }
        let products = try #require(Bundle.main.executableURL).deletingLastPathComponent()
        let binary = products.appendingPathComponent("tokend")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no tokend at \(binary.path): build it first")
        return binary
    }

    /// The long names of the command's options (`--no-metrics` being one of its own), as
    /// `tokend COMMAND --experimental-dump-help` lists them.
    func longNames(of command: String) throws -> Set<String> {
        let process = Process()
        process.executableURL = try tokendBinary()
        process.arguments = [command, "--experimental-dump-help"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let help = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let arguments = try #require((help["command"] as? [String: Any])?["arguments"] as? [[String: Any]])
        let names = arguments.flatMap { $0["names"] as? [[String: Any]] ?? [] }.filter { $0["kind"] as? String == "long" }
        return Set(names.compactMap { $0["name"] as? String }).subtracting(["help", "version"])
    }

    @Test(arguments: ["serve", "region", "gateway"])
    func everyOptionOfTheCommandHasARowAndEveryRowAnOption(command: String) throws {
        let known = try longNames(of: command)
        let rows = ServingOption.all.filter { $0.commands.contains(command) }
        let table = Set(rows.flatMap(\.commandLineNames).map { String($0.dropFirst(2)) })
        #expect(known.subtracting(table).isEmpty, "options of \(command) with no row in ServingOption.all")
        #expect(table.subtracting(known).isEmpty, "rows that are no option of \(command)")
    }

    @Test func variablesAreUniqueAndTokendsOwn() {
        let variables = ServingOption.all.map(\.variable)
        #expect(Set(variables).count == variables.count)
        #expect(variables.allSatisfy { $0.hasPrefix("TOKEND_") })
        // The harnesses export these for their own use; a server must never read them.
        #expect(Set(variables).isDisjoint(with: ["TOKEND_REGIONS", "TOKEND_URL", "TOKEND_BINARY", "TOKEND_SDK", "TOKEND_ADDR"]))
    }

    @Test func readmeHasARowForEveryOption() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let rows = try String(contentsOf: readme, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("| `--") }
        for option in ServingOption.all {
            let row = rows.first { $0.hasPrefix("| `--\(option.name)`") }
            #expect(row?.contains("`\(option.variable)`") == true, "README has no row `--\(option.name)` | `\(option.variable)`")
            if option.isReadFromFile {
                #expect(row?.contains("`\(option.name)`") == true, "README's row for --\(option.name) lacks its key")
            }
        }
    }
}
