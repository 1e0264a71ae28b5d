import ArgumentParser
import TokendCore
import TokendHTTP

/// `tokend fill`: the benchmark's bulk loader. It creates tokens through the same service
/// call as the API (same ids, names, secrets, hashes and audit events), many at a time so
/// group commit packs them into large transactions. The secrets are not kept.
struct Fill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create many tokens in a region's store, for benchmarks.")

    @OptionGroup var options: ServerOptions

    @Option(help: "The region to fill, like fr-par.")
    var region: String

    @Option(help: "How many tokens to create.")
    var tokens = 10_000

    @Option(help: "How many projects to spread them over (ids derived from the index, so runs agree).")
    var projects = 100

    @Option(help: "Creates in flight at once.")
    var concurrency = 512

    func validate() throws {
        guard !options.ephemeral else { throw ValidationError("fill writes a store to keep: --ephemeral would throw it away") }
        // Serving options fill shares through ServerOptions but has no use for: refused, not ignored.
        guard options.configFile == nil else { throw ValidationError("fill reads no --config file: give its options as flags") }
        guard options.logFormat == .text, options.metrics else {
            throw ValidationError("--log-format and --no-metrics are for serving commands: fill serves nothing")
        }
        guard RegionName(region) != nil else { throw ValidationError("--region must be \(RegionName.shapeDescription)") }
        guard tokens > 0, (1...100_000).contains(projects), (1...10_000).contains(concurrency) else {
            throw ValidationError("--tokens must be positive, --projects 1 to 100000, --concurrency 1 to 10000")
        }
    }

    /// The id of project number `index`: `00000000-0000-4000-8000-<index as 12 digits>`.
    static func projectID(_ index: Int) -> ProjectID {
        let digits = String(index)
        return ProjectID("00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - digits.count) + digits)!
    }

    func run() async throws {
        let service = try await options.openLocalRegions([RegionName(region)!], access: .open, metrics: nil)[0].service
        let origin = RequestOrigin(principal: try ManagementAccess.open.authenticate(key: "fill"), requestID: nil)
        let scopes = TokenScope.allCases
        let started = ContinuousClock.now
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<tokens {
                    if index >= concurrency { try await group.next() }
                    let request = CreateTokenRequest(
                        projectID: Self.projectID(index % projects), name: nil,
                        scopes: TokenScopes([scopes[index % scopes.count], scopes[(index / 7) % scopes.count]]))
                    group.addTask { _ = try await service.create(request, by: origin) }
                }
                try await group.waitForAll()
            }
        } catch {
            try? await service.close()
            throw error
        }
        try await service.close()
        print("created \(tokens) tokens in \(region) over \(projects) projects in \(ContinuousClock.now - started)")
    }
}
