/// Configuration by environment, the moto and LocalStack habit: `TOKEND_PORT=0 tokend serve`
/// is `tokend serve --port 0`. A flag given on the command line wins over its variable. Only
/// the variables below are read (README lists them), so the names test harnesses export
/// (`TOKEND_URL`, `TOKEND_BINARY`, `TOKEND_REGIONS`…) never reach a server by accident.
enum EnvironmentArguments {
    /// Variable → option, for `serve`, `region` and `gateway`.
    static let options: [(variable: String, option: String)] = [
        ("TOKEND_HOST", "--host"), ("TOKEND_PORT", "--port"), ("TOKEND_DATA_DIR", "--data-dir"),
        ("TOKEND_AUTH", "--auth"), ("TOKEND_KEYS_FILE", "--keys-file"), ("TOKEND_HASH_KEY_FILE", "--hash-key-file"),
        ("TOKEND_JWT_KEY_FILE", "--jwt-key-file"), ("TOKEND_VERIFY_RATE_PER_TOKEN", "--verify-rate-per-token"),
        ("TOKEND_VERIFY_RATE_PER_TENANT", "--verify-rate-per-tenant"), ("TOKEND_USAGE_FLUSH_MS", "--usage-flush-ms"),
        ("TOKEND_ASSETS_DIR", "--assets-dir"), ("TOKEND_LOG_LEVEL", "--log-level"), ("TOKEND_SEED", "--seed"),
        ("TOKEND_PORTAL_ORG_NAME", "--portal-org-name"), ("TOKEND_PORTAL_PLAN", "--portal-plan"),
        ("TOKEND_REGIONS_DIR", "--regions"),
    ]
    /// Variable → flag: `1`, `true` or `yes` sets it.
    static let flags: [(variable: String, flag: String)] = [("TOKEND_EPHEMERAL", "--ephemeral")]

    static let servingCommands: Set<String> = ["serve", "region", "gateway"]

    /// The command line with the environment's options added after it, for the serving
    /// commands (a bare `tokend` is `serve`); other commands' lines are left as they are.
    static func arguments(_ arguments: [String], environment: [String: String]) -> [String] {
        let command = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 } ?? "serve"
        guard servingCommands.contains(command) else { return arguments }
        // `region` serves one region it is told by --region, from no regions folder.
        return arguments + added(to: arguments, environment, except: command == "region" ? ["--regions"] : [])
    }

    private static func added(to arguments: [String], _ environment: [String: String], except: Set<String>) -> [String] {
        let given = Set(arguments.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        var added: [String] = []
        for (variable, option) in options where !given.contains(option) && !except.contains(option) {
            if let value = environment[variable], !value.isEmpty { added += [option, value] }
        }
        for (variable, flag) in flags where !given.contains(flag) {
            if let value = environment[variable]?.lowercased(), ["1", "true", "yes"].contains(value) { added.append(flag) }
        }
        return added
    }
}
