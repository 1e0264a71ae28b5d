import Foundation
import TokendCore

/// One region as its file in `regions/` describes it.
package struct RegionDefinition: Sendable, Hashable {
    package enum Location: Sendable, Hashable {
        /// Served in this process, from its own store.
        case local
        /// Served by a regional server at this base URL.
        case remote(baseURL: String)
    }

    package let name: RegionName
    package let location: Location
    /// How long to wait for a remote region to accept a connection, and to answer.
    package let connectTimeoutMilliseconds: Int
    package let readTimeoutMilliseconds: Int
    /// The portal's data-plane hosts for the region's tenants: `<edge>.m|l|t.<baseDomain>`.
    package let edge: String?
    package let baseDomain: String?
    /// A local region's store, when its file names one (else the server's `--store`).
    package let store: StoreLocation?

    package init(
        name: RegionName, location: Location, connectTimeoutMilliseconds: Int = 1_000, readTimeoutMilliseconds: Int = 10_000,
        edge: String? = nil, baseDomain: String? = nil, store: StoreLocation? = nil
    ) {
        self.name = name
        self.location = location
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.readTimeoutMilliseconds = readTimeoutMilliseconds
        self.edge = edge
        self.baseDomain = baseDomain
        self.store = store
    }
}

/// The folder of region files: `regions/<name>.json`, one region each, so adding a region
/// is adding a file. Every problem found at start names the file it is in.
///
///     {"name": "fr-par", "location": "local"}
///     {"name": "nl-ams", "location": "http://10.0.0.2:8081", "connect_timeout_ms": 500, "read_timeout_ms": 5000}
///     {"name": "pl-waw", "location": "local", "store": "postgresql://tokend@db.internal/tokend"}
package enum RegionCatalog {
    package static func load(directory: String) throws -> [RegionDefinition] {
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw ConfigurationError("regions folder \(directory) cannot be read: \(error.localizedDescription)")
        }
        guard !files.isEmpty else { throw ConfigurationError("regions folder \(directory) holds no <region>.json file") }

        var byName: [RegionName: String] = [:]
        return try files.map { file in
            let definition = try parse(file)
            if let other = byName[definition.name] {
                throw ConfigurationError("\(file.path): region \(definition.name) is already defined in \(other)")
            }
            byName[definition.name] = file.path
            return definition
        }
    }

    private static func parse(_ file: URL) throws -> RegionDefinition {
        struct File: Decodable {
            let name: String
            let location: String
            let connect_timeout_ms: Int?
            let read_timeout_ms: Int?
            let edge: String?
            let base_domain: String?
            let store: String?
        }
        let decoded: File
        do {
            decoded = try JSONDecoder().decode(File.self, from: Data(contentsOf: file))
        } catch {
            throw ConfigurationError("\(file.path): not a region file ({\"name\": \"fr-par\", \"location\": \"local\"}): \(error)")
        }
        guard let name = RegionName(decoded.name) else {
            throw ConfigurationError("\(file.path): region name '\(decoded.name)' must be \(RegionName.shapeDescription)")
        }
        guard file.deletingPathExtension().lastPathComponent == name.rawValue else {
            throw ConfigurationError("\(file.path): the file of region \(name) must be named \(name).json")
        }
        let location: RegionDefinition.Location
        if decoded.location == "local" {
            location = .local
        } else if let url = URL(string: decoded.location), url.scheme == "http" || url.scheme == "https",
            url.host != nil, url.query == nil, !decoded.location.hasSuffix("/")
        {
            location = .remote(baseURL: decoded.location)
        } else {
            throw ConfigurationError(
                "\(file.path): location '\(decoded.location)' must be \"local\" or a base URL like http://127.0.0.1:8081 (no trailing slash)"
            )
        }
        for (key, value) in [("connect_timeout_ms", decoded.connect_timeout_ms), ("read_timeout_ms", decoded.read_timeout_ms)] {
            if let value, !(1...600_000).contains(value) {
                throw ConfigurationError("\(file.path): \(key) must be from 1 to 600000, not \(value)")
            }
        }
        for (key, value) in [("edge", decoded.edge), ("base_domain", decoded.base_domain)] {
            if let value, !isHostName(value) {
                throw ConfigurationError("\(file.path): \(key) '\(value.prefix(64))' must be a DNS name: letters, digits, '-' and '.'")
            }
        }
        var store: StoreLocation?
        if let text = decoded.store {
            guard location == .local else {
                throw ConfigurationError("\(file.path): \"store\" is read for a local region only; a remote region's server has its own")
            }
            guard let parsed = StoreLocation(text) else {
                throw ConfigurationError("\(file.path): store must be \(StoreLocation.shapeDescription)")
            }
            store = parsed
        }
        let defaults = RegionDefinition(name: name, location: location)
        return RegionDefinition(
            name: name, location: location,
            connectTimeoutMilliseconds: decoded.connect_timeout_ms ?? defaults.connectTimeoutMilliseconds,
            readTimeoutMilliseconds: decoded.read_timeout_ms ?? defaults.readTimeoutMilliseconds,
            edge: decoded.edge, baseDomain: decoded.base_domain, store: store)
    }

    private static func isHostName(_ text: String) -> Bool {
        (1...253).contains(text.utf8.count) && !text.hasPrefix(".") && !text.hasSuffix(".")
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
    }
}
