import Configuration
import Foundation

/// The argument list argument-parser parses for a serving command: its own command line,
/// then, for each option that line does not give, its `TOKEND_…` variable's value or else
/// the `--config` file's (the file `TOKEND_CONFIG` names when the line names none). What no
/// source gives keeps its default. `hash-password`, `fill` and help are left as they are.
package enum ServingArguments {
    package static func resolve(
        _ arguments: [String], environment: [String: String], options: [ServingOption] = ServingOption.all
    ) async throws -> [String] {
        let commandLine = CommandLineOptions(arguments)
        guard ServingOption.servingCommands.contains(commandLine.command), !commandLine.asksForHelp else { return arguments }
        let applicable = options.filter { $0.commands.contains(commandLine.command) }
        let variableByName = Dictionary(uniqueKeysWithValues: applicable.map { ($0.name, $0.variable) })
        // Only the table's variables, and an empty one is unset (as a shell's `TOKEND_PORT=` means).
        let listed = Set(variableByName.values)
        let variables = environment.filter { listed.contains($0.key) && !$0.value.isEmpty }
        let environmentProvider = EnvironmentVariablesProvider(environmentVariables: variables)
            .mapKeys { key in AbsoluteConfigKey([variableByName[key.description] ?? key.description]) }
        var providers: [any ConfigProvider] = [environmentProvider]
        let configFile = commandLine.configFile ?? variableByName[ServingOption.configName].flatMap { variables[$0] }
        if let configFile { providers.append(try await fileProvider(configFile, options: options)) }

        let failures = LookupFailures()
        let reader = ConfigReader(providers: providers, accessReporter: failures)
        var added: [String] = []
        for option in applicable where !commandLine.gives(option) {
            let key = ConfigKey([option.name])
            let value = lookUp(option, key, in: reader)
            if value == nil, let failure = failures.failure(forKey: AbsoluteConfigKey(key)) {
                if failure.providerName == environmentProvider.providerName {
                    let given = variables[option.variable] ?? ""
                    throw ConfigurationError("\(option.variable)=\(given) (--\(option.name)) must be \(environmentForm(of: option.kind))")
                }
                throw ConfigurationError("config file \(configFile ?? ""): \"\(option.name)\": \(failure.error)")
            }
            added += value ?? []
        }
        return arguments + added
    }

    /// The option as arguments (`--port=9090`, `--ephemeral`, `--no-metrics`), or nil when no
    /// provider has it. `--name=value` keeps a value starting with a dash a value.
    private static func lookUp(_ option: ServingOption, _ key: ConfigKey, in reader: ConfigReader) -> [String]? {
        let flag = "--\(option.name)"
        switch option.kind {
        case .text: return reader.string(forKey: key).map { ["\(flag)=\($0)"] }
        case .integer: return reader.int(forKey: key).map { ["\(flag)=\($0)"] }
        case .decimal: return reader.double(forKey: key).map { ["\(flag)=\($0)"] }
        case .flag: return reader.bool(forKey: key).map { $0 ? [flag] : [] }
        case .invertibleFlag: return reader.bool(forKey: key).map { $0 ? [flag] : ["--no-\(option.name)"] }
        }
    }

    private static func environmentForm(of kind: ServingOption.Kind) -> String {
        switch kind {
        case .text: "text"
        case .integer: "an integer"
        case .decimal: "a number"
        case .flag, .invertibleFlag: "1, true, yes, 0, false or no"
        }
    }

    /// The file's provider, once its keys and value types are known to be right.
    private static func fileProvider(_ path: String, options: [ServingOption]) async throws -> any ConfigProvider {
        guard let data = FileManager.default.contents(atPath: path) else {
            let problem = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ConfigurationError("config file \(path) \(problem)")
        }
        try ConfigFileShape.check(data, path: path, against: options)
        do {
            return try await FileProvider<JSONSnapshot>(filePath: .init(path))
        } catch {
            throw ConfigurationError("config file \(path): \(error)")
        }
    }
}
