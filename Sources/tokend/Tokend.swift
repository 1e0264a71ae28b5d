import ArgumentParser
import Foundation
import TokendConfiguration
import TokendCore

@main
struct Tokend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokend",
        abstract: "Region-scoped API tokens, wire-compatible with the Cockpit v1 tokens API and xScaler's portal.",
        version: TokendVersion.current,
        subcommands: [Serve.self, Region.self, Gateway.self, Fill.self, HashPassword.self],
        defaultSubcommand: Serve.self
    )

    /// The command line, with the options `TOKEND_…` variables and the `--config` file give
    /// (flags win over variables, variables over the file). A wrong variable or file stops
    /// tokend here, before anything is opened.
    static func main() async {
        let arguments: [String]
        do {
            arguments = try await ServingArguments.resolve(
                Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
        } catch {
            exit(withError: error)
        }
        await main(arguments)
    }
}
