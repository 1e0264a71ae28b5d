/// One option of the serving commands (`serve`, `region`, `gateway`) that a `TOKEND_…`
/// environment variable and a `--config` file can give, as well as the command line.
package struct ServingOption: Sendable, Equatable {
    /// How the value is read from the environment and the file, and written back as a flag.
    package enum Kind: Sendable, Equatable {
        /// A JSON string; any variable's text.
        case text
        /// A JSON integer; a variable of digits.
        case integer
        /// A JSON number; a variable such as `2.5`.
        case decimal
        /// A JSON boolean; a variable `1`, `true`, `yes` or `0`, `false`, `no`. True adds `--name`.
        case flag
        /// As `flag`, and false adds `--no-name`.
        case invertibleFlag
    }

    /// The long name without dashes, which is also the config file's key.
    package let name: String
    package let kind: Kind
    package let variable: String
    /// The subcommands that declare it.
    package let commands: Set<String>
    /// False for `--config` itself: a config file does not name another one.
    package let isReadFromFile: Bool

    package static let servingCommands: Set<String> = ["serve", "region", "gateway"]
    /// The option naming the config file, which is not itself read from one.
    package static let configName = "config"

    /// `variable` defaults to `TOKEND_` and the name in capitals, dashes as underscores.
    package init(
        _ name: String, _ kind: Kind, variable: String? = nil, commands: Set<String> = servingCommands, isReadFromFile: Bool = true
    ) {
        self.name = name
        self.kind = kind
        self.variable = variable ?? "TOKEND_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        self.commands = commands
        self.isReadFromFile = isReadFromFile
    }

    /// Its spellings on a command line: `--name`, and `--no-name` for an invertible flag.
    package var commandLineNames: [String] {
        kind == .invertibleFlag ? ["--\(name)", "--no-\(name)"] : ["--\(name)"]
    }
}
