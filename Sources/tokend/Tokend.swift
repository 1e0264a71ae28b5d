import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
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
        // Tasks run on NIO's event loops rather than a second pool of threads: a request's
        // handler then runs on the thread that read it, and a relayed one's upstream exchange
        // too (see HTTP1ConnectionPool). Before any task is created; measured in BENCHMARKS.md.
        if !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
            // Still correct, one hop per await slower (the toolchain or platform refused it).
            FileHandle.standardError.write(Data("tokend: Swift concurrency runs on its own threads here\n".utf8))
        }
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
