import TokendCore

/// The clock endpoint's bodies: `{"regions": [{"region", "now", "offset_seconds", "frozen"}]}`
/// answered, and a change as the front door relays it to a region's own server.
extension JSONWriter {
    mutating func clockReadings(_ readings: [(region: RegionName, reading: AdjustableClock.Reading)]) {
        object { json in
            json.key("regions")
            json.array(readings) { json, entry in
                json.object { json in
                    json.field("region", entry.region.rawValue)
                    json.field("now", entry.reading.now.rfc3339)
                    json.key("offset_seconds")
                    json.number(Double(entry.reading.offsetMicroseconds) / 1_000_000)
                    json.field("frozen", entry.reading.frozen)
                }
            }
        }
    }

    mutating func clockChange(_ change: ClockChange) {
        object { json in
            json.field("reset", change.reset)
            if let frozen = change.frozen { json.field("frozen", frozen) }
            if let time = change.time { json.field("time", time.rfc3339) }
            if let seconds = change.advanceSeconds { json.field("advance_seconds", seconds) }
        }
    }
}

/// A region server's clock answer, as a front door reads it back.
struct ClockReport: Decodable {
    struct Region: Decodable {
        let region: String
        let now: String
        let offsetSeconds: Double
        let frozen: Bool

        enum CodingKeys: String, CodingKey {
            case region, now, frozen
            case offsetSeconds = "offset_seconds"
        }

        var reading: AdjustableClock.Reading? {
            Timestamp(rfc3339: now).map { now in
                AdjustableClock.Reading(now: now, offsetMicroseconds: Int64((offsetSeconds * 1_000_000).rounded()), frozen: frozen)
            }
        }
    }

    let regions: [Region]
}
