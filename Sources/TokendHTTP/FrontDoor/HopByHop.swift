import Foundation
import HTTPTypes
import NIOHTTP1

/// Headers that belong to one connection, not to the message: never relayed either way.
enum HopByHop {
    static let names: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host",
    ]

    /// A client's request headers as sent to a region.
    static func relayed(_ fields: HTTPFields) -> HTTPHeaders {
        let connectionTokens = tokens(fields[values: .connection])
        var headers = HTTPHeaders()
        for field in fields {
            let name = field.name.canonicalName
            if !names.contains(name) && !connectionTokens.contains(name) { headers.add(name: field.name.rawName, value: field.value) }
        }
        return headers
    }

    /// A region's answer headers as sent to the client; its `Date` too unless `keepingDate`,
    /// where the router writes its own (the channel relay, below it, keeps the region's).
    static func relayedAnswer(_ headers: HTTPHeaders, keepingDate: Bool = false) -> HTTPFields {
        let connectionTokens = tokens(headers["connection"])
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard !names.contains(lowered), !connectionTokens.contains(lowered), keepingDate || lowered != "date",
                let fieldName = HTTPField.Name(name)
            else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }

    /// Whether a client's `Connection` header lists `close`: its connection ends after the answer.
    static func asksToClose(_ fields: HTTPFields) -> Bool {
        let values = fields[values: .connection]
        return !values.isEmpty && tokens(values).contains("close")
    }

    /// The header names a `Connection` header lists (lowercased): hop-by-hop as well.
    private static func tokens(_ values: [String]) -> Set<String> {
        values.isEmpty
            ? [] : Set(values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }
}
