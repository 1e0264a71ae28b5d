/// What a serving command's own command line already says, read before argument-parser
/// parses it: its subcommand, the options it gives (those win over every other source) and
/// the `--config` file it names.
struct CommandLineOptions {
    /// `serve`, `region`, … (a bare `tokend` or one starting with an option is `serve`).
    let command: String
    /// Given options' names with their dashes, `--port` for both `--port 0` and `--port=0`.
    let givenNames: Set<String>
    /// Asks for help or the version: left to argument-parser as it is, so a broken
    /// configuration never hides `--help`.
    let asksForHelp: Bool
    let configFile: String?

    private static let helpNames: Set<String> = ["-h", "--help", "--help-hidden", "--experimental-dump-help", "--version"]

    init(_ arguments: [String]) {
        command = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 } ?? "serve"
        // After `--` come values, not options.
        let options = Array(arguments.prefix { $0 != "--" })
        let names = options.map { String($0.split(separator: "=", maxSplits: 1).first ?? "") }
        givenNames = Set(names.filter { $0.hasPrefix("-") })
        asksForHelp = !givenNames.isDisjoint(with: Self.helpNames)
        var configFile: String?
        for (index, argument) in options.enumerated() {
            if argument.hasPrefix("--config=") { configFile = String(argument.dropFirst("--config=".count)) }
            if argument == "--config", index + 1 < options.count { configFile = options[index + 1] }
        }
        self.configFile = configFile
    }

    func gives(_ option: ServingOption) -> Bool { option.commandLineNames.contains(where: givenNames.contains) }
}
