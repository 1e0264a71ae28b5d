import Foundation

/// Where a region keeps its tokens: an SQLite file of its own (the embedded default), or a
/// PostgreSQL database that several instances may share.
package enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite
    case postgresql(PostgreSQLLocation)

    /// `sqlite`, or a PostgreSQL URL; nil for anything else.
    package init?(_ text: String) {
        if text == "sqlite" {
            self = .sqlite
        } else if let location = PostgreSQLLocation(url: text) {
            self = .postgresql(location)
        } else {
            return nil
        }
    }

    package static let shapeDescription = "sqlite or \(PostgreSQLLocation.shapeDescription)"

    package var description: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgresql(let location): location.description
        }
    }
}

/// Where a region's PostgreSQL store is: `postgresql://user[:password]@host[:port]/database`
/// (or `postgres://`). Every region of one database lives in its own schema, so one URL can
/// serve them all.
package struct PostgreSQLLocation: Sendable, Hashable, CustomStringConvertible {
    package let host: String
    package let port: Int
    package let username: String
    package let password: String?
    package let database: String

    /// The shape, for error messages.
    package static let shapeDescription = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"

    /// Nil when `text` is not such a URL (a query string is refused, not ignored).
    package init?(url text: String) {
        guard let components = URLComponents(string: text), ["postgresql", "postgres"].contains(components.scheme),
            let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty,
            components.query == nil, components.fragment == nil
        else { return nil }
        let path = components.path
        guard path.hasPrefix("/"), path.count > 1, !path.dropFirst().contains("/") else { return nil }
        if let port = components.port, !(1...65535).contains(port) { return nil }
        // URLComponents keeps an IPv6 literal's brackets in `host`; the connection wants the address.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        self.database = String(path.dropFirst())
    }

    /// The URL without its password: safe to log.
    package var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(username)\(password == nil ? "" : ":***")@\(shownHost):\(port)/\(database)"
    }
}
