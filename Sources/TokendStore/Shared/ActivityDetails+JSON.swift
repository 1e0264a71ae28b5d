import Foundation
import TokendCore

/// An event's details as the store keeps them: one JSON text column, read only to be shown.
extension ActivityDetails {
    private struct Stored: Codable {
        var metadata: [String: String]
        var before: [String: String]?
        var after: [String: String]?
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try! encoder.encode(Stored(metadata: metadata, before: before, after: after))
        return String(decoding: data, as: UTF8.self)
    }

    init?(json: String) {
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(json.utf8)) else { return nil }
        self.init(metadata: stored.metadata, before: stored.before, after: stored.after)
    }
}
