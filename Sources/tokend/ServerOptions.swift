import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import ServiceLifecycle
import TokendConfiguration
import TokendCore
import TokendHTTP
import TokendStore

/// Options every serving subcommand shares.
struct ServerOptions: ParsableArguments {
    enum AuthMode: String, ExpressibleByArgument, CaseIterable {
        case open, keys
    }

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one. The URL is printed on one line of standard output once serving.")
    var port = 8080

    @Option(name: .customLong("data-dir"), help: "Folder of the SQLite stores and the hash key (default: ./data).")
    var dataDirectoryOption: String?

    var dataDirectory: String { dataDirectoryOption ?? "data" }

    @Option(
        help: ArgumentHelp(
            "Where the regions' stores are: sqlite (a file each in --data-dir) or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE",
            discussion: "PostgreSQL: a schema per region; several instances may serve one region. A region file's \"store\" wins."))
    var store: String?

    @Option(name: .customLong("store-pool-size"), help: "PostgreSQL: connections per region and instance.")
    var storePoolSize = 8

    @Option(
        name: .customLong("store-timeout-ms"),
        help: "PostgreSQL: how long an operation waits for the database before answering 503, in milliseconds.")
    var storeTimeoutMilliseconds = 5_000

    @Option(
        name: .customLong("credential-ttl-ms"),
        help: """
            PostgreSQL: how long verify may answer from a remembered credential, in milliseconds: the bound on another \
            instance's revocation when its announcement is lost.
            """)
    var credentialTTLMilliseconds = 2_000

    @Flag(help: "Keep every store in memory: no data folder, no file written, a new hash key each start (for test suites).")
    var ephemeral = false

    @Option(help: "Management auth: 'open' accepts any non-empty X-Auth-Token; 'keys' only those of --keys-file.")
    var auth: AuthMode = .open

    @Option(
        name: .customLong("keys-file"),
        help: "JSON keyring for --auth keys: {\"keys\": [{\"key\": \"…\", \"projects\": [\"<uuid>\" or \"*\"]}]}.")
    var keysFile: String?

    @Option(
        name: .customLong("hash-key-file"),
        help: "File holding the secret-hashing key (64 hex characters); default: <data-dir>/hash.key, created if missing.")
    var hashKeyFile: String?

    @Option(name: .customLong("verify-rate-per-token"), help: "Data-plane requests per second allowed for one token (default: unlimited).")
    var verifyRatePerToken: Double?

    @Option(
        name: .customLong("verify-rate-per-tenant"), help: "Data-plane requests per second allowed for one tenant (default: unlimited).")
    var verifyRatePerTenant: Double?

    @Option(name: .customLong("usage-flush-ms"), help: "How often verify's last-use times and refusal counts are written, in milliseconds.")
    var usageFlushMilliseconds = 1_000

    @Option(
        name: .customLong("assets-dir"),
        help: "Serve the console and OpenAPI document from this folder instead of the built-in copy (for development).")
    var assetsDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .customLong("log-format"), help: "text (one readable line per event) or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Flag(inversion: .prefixedNo, help: "Export metrics at /metrics in the Prometheus text format.")
    var metrics = true

    @Option(
        name: .customLong("config"),
        help:
            "JSON file of options by their long names ({\"port\": 9090, \"log-format\": \"json\"}); flags and TOKEND_… variables win over it."
    )
    var configFile: String?

    @Option(
        name: .customLong("jwt-key-file"),
        help: "File holding the portal's JWT signing key (64 hex characters); default: a new random key each start.")
    var jwtKeyFile: String?

    @Option(name: .customLong("portal-org-name"), help: "--auth open: the name of the portal's one organisation.")
    var portalOrganizationName = "Default"

    @Option(name: .customLong("portal-plan"), help: "--auth open: the organisation's plan: free, scale or enterprise.")
    var portalPlan = Plan.scale.id

    @Option(
        help: """
            --auth open: make ids, secrets, generated names and which requests fault rules hit the same from run to run \
            (with a frozen clock, timestamps too).
            """)
    var seed: UInt64?

    func validate() throws {
        if auth == .keys && keysFile == nil { throw ValidationError("--auth keys needs --keys-file") }
        if auth == .open && keysFile != nil { throw ValidationError("--keys-file is only read with --auth keys") }
        if ephemeral && dataDirectoryOption != nil { throw ValidationError("--data-dir is not read with --ephemeral: nothing is written") }
        if ephemeral && hashKeyFile != nil {
            throw ValidationError("--hash-key-file is not read with --ephemeral: its hash key is new each start")
        }
        if ephemeral && store != nil { throw ValidationError("--store is not read with --ephemeral: every store is in memory") }
        if let store, StoreLocation(store) == nil { throw ValidationError("--store must be \(StoreLocation.shapeDescription)") }
        guard (1...1_000).contains(storePoolSize) else { throw ValidationError("--store-pool-size must be from 1 to 1000") }
        guard (100...600_000).contains(storeTimeoutMilliseconds) else {
            throw ValidationError("--store-timeout-ms must be from 100 to 600000")
        }
        guard (0...3_600_000).contains(credentialTTLMilliseconds) else {
            throw ValidationError("--credential-ttl-ms must be from 0 to 3600000")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        for (name, rate) in [("--verify-rate-per-token", verifyRatePerToken), ("--verify-rate-per-tenant", verifyRatePerTenant)] {
            if let rate, !(rate > 0) { throw ValidationError("\(name) must be more than 0") }
        }
        guard (10...60_000).contains(usageFlushMilliseconds) else { throw ValidationError("--usage-flush-ms must be from 10 to 60000") }
        if seed != nil && auth != .open { throw ValidationError("--seed is for test suites: it needs --auth open") }
        guard Plan.named(portalPlan) != nil else {
            throw ValidationError("--portal-plan must be one of \(Plan.defaults.map(\.id).joined(separator: ", "))")
        }
        guard (1...64).contains(portalOrganizationName.count) else { throw ValidationError("--portal-org-name must be 1 to 64 characters") }
    }

    func portalAccess() throws -> PortalAccess {
        switch auth {
        case .open: .open(Organization(displayName: portalOrganizationName, plan: Plan.named(portalPlan)!))
        case .keys: .users(try PortalUsersFile.load(contentsOf: keysFile!))
        }
    }

    /// How the portal's JWT key is chosen when `--jwt-key-file` is not given.
    enum PortalKeyDefault {
        /// A new random key each start: `serve`, where nothing else checks the tokens.
        case random
        /// A gateway and its region servers must agree on the key. In open mode (anyone may
        /// sign in anyway) they use a well-known one, so they agree with no setup; in keys mode
        /// `--jwt-key-file` is required.
        case sharedWithGateway
    }

    func portalKeyBytes(_ fallback: PortalKeyDefault) throws -> [UInt8] {
        if let jwtKeyFile { return try HashKeyFile.loadOrCreate(path: jwtKeyFile) }
        switch (fallback, auth) {
        case (.random, _): return SecretHasher.generateKeyBytes()
        case (.sharedWithGateway, .open): return Array(SHA256Hex.of("tokend open-mode portal sign-in key").utf8.prefix(32))
        case (.sharedWithGateway, .keys):
            throw ValidationError("--auth keys: a gateway and its region servers need the same --jwt-key-file for the portal")
        }
    }

    /// The portal over these regions: local ones in this process, remote ones through their
    /// servers' portal API, signed in with the same key.
    func portalFace(over backends: [any RegionBackend], definitions: [RegionDefinition], keyDefault: PortalKeyDefault) async throws
        -> PortalFace?
    {
        guard !backends.isEmpty else { return nil }
        // Sign-ins follow the first local region's clock, so a test that moves it moves their expiry too.
        let clock = backends.compactMap { ($0 as? LocalRegionBackend)?.service.clock }.first ?? SystemTimeSource()
        let sessions = PortalSessions(keyBytes: try portalKeyBytes(keyDefault), clock: clock)
        let tenants = backends.compactMap { $0.tenants(signingWith: sessions) }
        guard !tenants.isEmpty else { return nil }
        var hosts: [RegionName: RegionHosts] = [:]
        for definition in definitions {
            hosts[definition.name] = RegionHosts(
                edge: definition.edge ?? definition.name.rawValue, baseDomain: definition.baseDomain ?? RegionHosts.defaultBaseDomain)
        }
        return PortalFace(portal: Portal(access: try portalAccess(), regions: tenants), sessions: sessions, hosts: hosts)
    }

    func managementAccess() throws -> ManagementAccess {
        switch auth {
        case .open: .open
        case .keys: .keys(try Keyring.load(contentsOf: keysFile!))
        }
    }

    func hasher() throws -> SecretHasher {
        // Seeded ephemeral servers share their hash key, so a snapshot made by one (its tokens'
        // hashes) verifies on another started with the same seed.
        if ephemeral, let seed { return SecretHasher(keyBytes: Array(SHA256Hex.of("tokend seeded hash key \(seed)").utf8.prefix(32))) }
        if ephemeral { return SecretHasher(keyBytes: SecretHasher.generateKeyBytes()) }
        if let hashKeyFile { return SecretHasher(keyBytes: try HashKeyFile.loadOrCreate(path: hashKeyFile)) }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return SecretHasher(keyBytes: try HashKeyFile.loadOrCreate(path: "\(dataDirectory)/hash.key"))
    }

    var rateLimits: RateLimits { RateLimits(perToken: verifyRatePerToken, perTenant: verifyRatePerTenant) }

    /// Opens the regions this process serves itself, measured into `metrics`: each in the store
    /// its region file names, else --store's, else its SQLite file.
    func openLocalRegions(
        _ regions: [RegionName], stores: [RegionName: StoreLocation] = [:], access: ManagementAccess, metrics: MetricsExporter?
    ) async throws -> [LocalRegionBackend] {
        let fallback = store.flatMap(StoreLocation.init) ?? .sqlite
        return try await LocalRegions.open(
            regions.map { (region: $0, store: stores[$0] ?? fallback) }, in: ephemeral ? .memory : .folder(dataDirectory),
            postgreSQL: postgreSQLSettings, hasher: try hasher(), access: access, limits: rateLimits,
            usageFlushInterval: .milliseconds(usageFlushMilliseconds), metrics: metrics?.factory ?? NOOPMetricsHandler.instance,
            logger: logger())
    }

    /// `--ephemeral` keeps every store in memory: a region file naming a store is refused, as
    /// `--store` is, rather than ignored.
    func refuseStoresWhenEphemeral(_ definitions: [RegionDefinition]) throws {
        guard ephemeral, let named = definitions.first(where: { $0.store != nil }) else { return }
        throw ValidationError("region \(named.name)'s file names a store, which --ephemeral does not read: every store is in memory")
    }

    var postgreSQLSettings: PostgreSQLStoreSettings {
        PostgreSQLStoreSettings(
            poolSize: storePoolSize, timeout: .milliseconds(storeTimeoutMilliseconds),
            credentialLifetime: .milliseconds(credentialTTLMilliseconds))
    }

    /// What `/metrics` exports, made before the regions open so their stores record into it;
    /// nil with `--no-metrics`.
    func metricsExporter() -> MetricsExporter? { metrics ? MetricsExporter() : nil }

    /// Makes every logger of the process, the libraries' (Hummingbird's file middleware, say)
    /// as well, write `--log-format`'s lines. Once per process (swift-log refuses a second
    /// bootstrap), first thing: opening a store may log (a migration).
    func bootstrapLogging() {
        switch logFormat {
        case .text:
            LoggingSystem.bootstrap(
                { label, provider in TextLogHandler(label: label, metadataProvider: provider) }, metadataProvider: .requestID)
        case .json:
            LoggingSystem.bootstrap(
                { label, provider in JSONLogHandler(label: label, metadataProvider: provider) }, metadataProvider: .requestID)
        }
    }

    func logger() -> Logger {
        var logger = Logger(label: "tokend", metadataProvider: .requestID)
        logger.logLevel = logLevel
        return logger
    }
}

extension ServerOptions {
    /// Serves these regions behind one front door until SIGTERM or SIGINT. The backends'
    /// stores and clients are the application's services: closed when it stops, however it stops.
    func serve(
        _ backends: [any RegionBackend], access: ManagementAccess, metrics: MetricsExporter?, definitions: [RegionDefinition] = [],
        portalKey: PortalKeyDefault = .random
    ) async throws {
        let logger = logger()
        logger.info(
            "serving",
            metadata: [
                "regions": "\(backends.map { "\($0.region)=\($0.location)" })", "address": "\(host):\(port)",
                "auth": "\(auth.rawValue)", "data_dir": "\(ephemeral ? "(in memory)" : dataDirectory)",
                "store": "\(store.flatMap(StoreLocation.init) ?? .sqlite)",
                "seed": "\(seed.map(String.init) ?? "none")", "metrics": "\(metrics == nil ? "off" : "/metrics")",
            ])
        let files = assetsDirectory.map(ServedFiles.init(directory:)) ?? .bundled
        if let seed { SecureRandom.seed(seed) }
        let host = host
        let app = buildApplication(
            frontDoor: FrontDoor(
                backends: backends, access: access, files: files,
                portal: try await portalFace(over: backends, definitions: definitions, keyDefault: portalKey), seed: seed,
                metrics: metrics),
            listen: ListenSettings(host: host, port: port), logger: logger
        ) { port in
            // The one line a test fixture reads to find the server (logs go to standard error).
            FileHandle.standardOutput.write(Data("http://\(host.contains(":") ? "[\(host)]" : host):\(port)\n".utf8))
        }
        // `runService()` would name the application `"\(app)"`: a walk by reflection over the
        // whole router, its controllers and stores, 5.5 % of the CPU before the first answer
        // (perf of `serve --ephemeral`, 2026-12-03).
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app, serviceName: "tokend")], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
