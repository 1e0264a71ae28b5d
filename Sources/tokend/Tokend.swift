import ArgumentParser
import Foundation
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

    /// The command line, with the options `TOKEND_…` environment variables give (flags win).
    static func main() async {
        await main(
            EnvironmentArguments.arguments(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
    }
}
