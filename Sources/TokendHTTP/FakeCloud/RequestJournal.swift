import HTTPTypes
import Synchronization
import TokendCore

/// The latest requests a server answered (`GET /_tokend/requests`), for debugging a failing
/// suite: method, path, status, dialect, region, duration and request id. Never a query
/// string, a header or a body, so never a secret. A fixed ring: the oldest entry makes room.
final class RequestJournal: Sendable {
    /// What is kept of a request: its method and path (classified only when read, off the
    /// hot path), and for a verify the region its secret names (the secret is not kept).
    struct Entry: Sendable {
        let at: Timestamp
        let method: HTTPRequest.Method
        let path: String
        let verifyRegion: RegionName?
        let status: Int
        let durationMicroseconds: Int
        let requestID: String
    }

    static let capacity = 1_000

    private struct Ring {
        var entries: [Entry] = []
        var next = 0
    }

    private let ring = Mutex(Ring())

    func record(_ entry: Entry) {
        ring.withLock { ring in
            if ring.entries.count < Self.capacity {
                ring.entries.append(entry)
            } else {
                ring.entries[ring.next] = entry
            }
            ring.next = (ring.next + 1) % Self.capacity
        }
    }

    /// The latest `limit` entries, newest first.
    func latest(_ limit: Int) -> [Entry] {
        ring.withLock { ring in
            let ordered = ring.entries.count < Self.capacity ? ring.entries : Array(ring.entries[ring.next...] + ring.entries[..<ring.next])
            return Array(ordered.suffix(limit).reversed())
        }
    }

    func removeAll() { ring.withLock { $0 = Ring() } }
}
