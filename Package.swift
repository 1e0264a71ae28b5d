// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "tokend",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tokend", targets: ["tokend"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Domain core: tokens, scopes, validation, errors, secrets. No HTTP, no SQL.
        .target(
            name: "TokendCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt, for portal users' passwords.
                .product(name: "CryptoExtras", package: "swift-crypto"),
                // Counting only (verify's cache and rate limits): the API, no exporter.
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Files and flags read at the edge (region files, the keyring, the hash key), handed
        // to the core as plain values.
        .target(
            name: "TokendConfiguration",
            dependencies: [
                "TokendCore",
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        // A VFS that writes a file store's WAL commits in runs of 128 KiB, not two calls a frame (see its source).
        .target(name: "CSQLiteCoalescedLog", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The stores behind the core's TokenStore protocol: SQLite (the embedded default) and
        // PostgreSQL (a region served by several instances).
        .target(
            name: "TokendStore",
            dependencies: [
                "TokendCore",
                "CSQLiteCoalescedLog",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // sqlite3_serialize and _deserialize, for snapshots of in-memory stores.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Thin Hummingbird routes over the core, the front door and its region backends.
        .target(
            name: "TokendHTTP",
            dependencies: [
                "TokendCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                // /metrics: swift-metrics' handlers exported in the Prometheus text format.
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The console and the OpenAPI document, served as they are (see ServedFiles).
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "tokend",
            dependencies: [
                "TokendConfiguration",
                "TokendStore",
                "TokendHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TokendCoreTests",
            dependencies: ["TokendCore"]
        ),
        .testTarget(
            name: "TokendConfigurationTests",
            dependencies: ["TokendConfiguration", "TokendCore"]
        ),
        // What the test suites share: the stores they run over (SQLite, and PostgreSQL when
        // scripts/test provides a server).
        .target(
            name: "TokendTestSupport",
            dependencies: ["TokendStore", .product(name: "Metrics", package: "swift-metrics")],
            path: "Tests/TokendTestSupport"
        ),
        .testTarget(
            name: "TokendStoreTests",
            dependencies: [
                "TokendStore", "TokendTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "TokendHTTPTests",
            dependencies: [
                "TokendHTTP", "TokendTestSupport",
                "TokendStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzzing (docs/fuzzing.md): with TOKEND_FUZZ set, one libFuzzer executable per parser of
// untrusted bytes, which scripts/fuzz builds with -sanitize=fuzzer,address. Without it the
// package is exactly the one above, so `swift build` and `swift test` never see them.
if Context.environment["TOKEND_FUZZ"] != nil {
    let hummingbird = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
    let fuzzers: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzRequestBody", ["TokendHTTP"]),
        ("FuzzListQuery", ["TokendHTTP", hummingbird]),
        ("FuzzSecret", []),
        ("FuzzTimestamp", []),
        ("FuzzVerifyHeaders", ["TokendHTTP"]),
        ("FuzzIdentifiers", []),
        ("FuzzJWT", ["TokendHTTP", .product(name: "Crypto", package: "swift-crypto")]),
    ]
    // Only tokend's own modules are instrumented (coverage and AddressSanitizer); the
    // dependencies build exactly as in `swift build`, so scripts/fuzz can share that build's
    // folder and compile only these (SwiftPM's own `--sanitize fuzzer --sanitize address`
    // would rebuild them all, and hands swiftc two -sanitize= flags of which the last wins).
    let instrumented = SwiftSetting.unsafeFlags(["-sanitize=fuzzer,address"])
    for target in package.targets where ["TokendCore", "TokendHTTP"].contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [instrumented]
    }
    package.targets.append(
        .target(name: "TokendFuzzSupport", dependencies: ["TokendCore"], path: "Fuzz/Support", swiftSettings: [instrumented]))
    package.targets.append(.target(name: "CLibFuzzerDriver", path: "Fuzz/Driver"))
    for fuzzer in fuzzers {
        package.targets.append(
            .executableTarget(
                name: fuzzer.name, dependencies: ["TokendCore", "TokendFuzzSupport", "CLibFuzzerDriver"] + fuzzer.dependencies,
                path: "Fuzz/Targets/\(fuzzer.name)",
                // main.swift hands over to libFuzzer's driver (Fuzz/Driver).
                swiftSettings: [instrumented],
                // libFuzzer (its driver, not its `main`) and the AddressSanitizer runtime are linked in here.
                linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]))
    }
}
