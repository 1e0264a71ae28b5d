import Foundation
import Synchronization
import TokendCore

/// Named snapshots of every region's state, kept in the front door's memory (never
/// written to disk): the fake cloud's save / restore, and what a suite downloads to ship a
/// fixture state.
final class Snapshots: Sendable {
    struct Snapshot: Sendable {
        let name: String
        let createdAt: Timestamp
        let images: [RegionName: [UInt8]]

        var bytes: Int { images.values.reduce(0) { $0 + $1.count } }
    }

    /// What a snapshot file or a region's state may weigh at most.
    static let maximumBytes = 512 << 20
    static let fileFormat = "tokend-snapshot/1"

    private let saved = Mutex([String: Snapshot]())

    func keep(_ snapshot: Snapshot) { saved.withLock { $0[snapshot.name] = snapshot } }

    func snapshot(named name: String) throws(TokendError) -> Snapshot {
        guard let snapshot = saved.withLock({ $0[name] }) else { throw .notFound(resource: "snapshot", resourceID: name) }
        return snapshot
    }

    var all: [Snapshot] { saved.withLock { $0.values.sorted { $0.name < $1.name } } }

    func remove(_ name: String) throws(TokendError) {
        guard saved.withLock({ $0.removeValue(forKey: name) }) != nil else { throw .notFound(resource: "snapshot", resourceID: name) }
    }

    /// 1 to 64 of `[A-Za-z0-9._-]`, not starting with a dot: a name that is also a file name.
    static func checkName(_ name: String) throws(TokendError) -> String {
        guard (1...64).contains(name.utf8.count), !name.hasPrefix("."),
            name.utf8.allSatisfy({
                $0.isASCIILetterOrDigit || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            })
        else {
            throw .invalidArgument(
                "name", .format, "a snapshot's name is 1 to 64 of letters, digits, '.', '_' or '-', not starting with '.'")
        }
        return name
    }

    /// The file `GET /_tokend/snapshots/{name}` downloads and `PUT` takes back:
    /// `{"format": "tokend-snapshot/1", "name", "created_at", "regions": {"fr-par": "<base64 SQLite image>"}}`.
    static func file(_ snapshot: Snapshot) -> JSONWriter {
        var json = JSONWriter()
        json.object { json in
            json.field("format", fileFormat)
            json.field("name", snapshot.name)
            json.field("created_at", snapshot.createdAt.rfc3339)
            json.key("regions")
            json.object { json in
                for region in snapshot.images.keys.sorted() {
                    json.field(named: region.rawValue, Data(snapshot.images[region]!).base64EncodedString())
                }
            }
        }
        return json
    }

    /// Reads a snapshot file; every region must be one served here and hold an SQLite image
    /// (each is checked whole when restored).
    static func read(file bytes: [UInt8], name: String, served: Set<RegionName>, at now: Timestamp) throws(TokendError) -> Snapshot {
        struct File: Decodable {
            let format: String
            let regions: [String: String]
        }
        guard let file = try? JSONDecoder().decode(File.self, from: Data(bytes)), file.format == fileFormat else {
            throw .invalidArgument(
                "body", .format, "a snapshot file is {\"format\": \"\(fileFormat)\", \"regions\": {\"<region>\": \"<base64>\"}}")
        }
        var images: [RegionName: [UInt8]] = [:]
        for (name, text) in file.regions {
            guard let region = RegionName(name), served.contains(region) else {
                throw .invalidArgument("regions", .constraint, "region '\(name.prefix(64))' is not served here")
            }
            guard let image = Data(base64Encoded: text), image.starts(with: Array("SQLite format 3\u{0}".utf8)) else {
                throw .invalidArgument("regions", .format, "region \(region)'s image is not a base64 SQLite database")
            }
            images[region] = Array(image)
        }
        return Snapshot(name: name, createdAt: now, images: images)
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

extension JSONWriter {
    /// A region's state as `/_tokend/state` carries it between a gateway and a region server.
    mutating func regionState(_ region: RegionName, image: [UInt8]) {
        object { json in
            json.field("region", region.rawValue)
            json.field("image", Data(image).base64EncodedString())
        }
    }
}

/// `/_tokend/state`'s body, read back.
struct RegionState: Decodable {
    let region: String
    let image: String
}
