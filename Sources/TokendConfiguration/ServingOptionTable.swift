extension ServingOption {
    /// Every option of `serve`, `region` and `gateway` (ServerOptions, Region, RegionsFolderOption).
    /// Only these variables are ever read, so the ones test harnesses export for their own use
    /// (`TOKEND_URL`, `TOKEND_BINARY`, `TOKEND_REGIONS`) never reach a server. A test compares
    /// this table with the options argument-parser knows, so a new flag needs a row here.
    package static let all: [ServingOption] = [
        ServingOption("host", .text),
        ServingOption("port", .integer),
        ServingOption("data-dir", .text),
        ServingOption("ephemeral", .flag),
        ServingOption("store", .text),
        ServingOption("store-pool-size", .integer),
        ServingOption("store-timeout-ms", .integer),
        ServingOption("credential-ttl-ms", .integer),
        ServingOption("auth", .text),
        ServingOption("keys-file", .text),
        ServingOption("hash-key-file", .text),
        ServingOption("jwt-key-file", .text),
        ServingOption("verify-rate-per-token", .decimal),
        ServingOption("verify-rate-per-tenant", .decimal),
        ServingOption("usage-flush-ms", .integer),
        ServingOption("assets-dir", .text),
        ServingOption("log-level", .text),
        ServingOption("log-format", .text),
        ServingOption("metrics", .invertibleFlag),
        ServingOption("seed", .integer),
        ServingOption("portal-org-name", .text),
        ServingOption("portal-plan", .text),
        // TOKEND_REGIONS is the harnesses' comma list of regions, not a folder.
        ServingOption("regions", .text, variable: "TOKEND_REGIONS_DIR", commands: ["serve", "gateway"]),
        ServingOption("region", .text, commands: ["region"]),
        ServingOption(configName, .text, isReadFromFile: false),
    ]
}
