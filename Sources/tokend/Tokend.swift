import ArgumentParser

@main
struct Tokend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokend",
        abstract: "Region-scoped API tokens, wire-compatible with the Cockpit v1 tokens API.",
        subcommands: [Serve.self, Region.self, Gateway.self, Fill.self, HashPassword.self],
        defaultSubcommand: Serve.self
    )
}
