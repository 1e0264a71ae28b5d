import Foundation
import HTTPTypes
import NIOHTTP1

/// Headers that belong to one connection, not to the request: never relayed.
enum HopByHop {
    static let names: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host",
    ]

    static func isDropped(_ name: String, from headers: HTTPHeaders) -> Bool {
        let lowered = name.lowercased()
        return names.contains(lowered)
            || headers["Connection"].contains { value in
                value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == lowered }
            }
    }

    static func relayed(_ fields: HTTPFields) -> HTTPHeaders {
        let connectionTokens = Set(
            fields[values: .connection].flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        var headers = HTTPHeaders()
        for field in fields {
            let name = field.name.canonicalName
            if !names.contains(name) && !connectionTokens.contains(name) { headers.add(name: field.name.rawName, value: field.value) }
        }
        return headers
    }
}
