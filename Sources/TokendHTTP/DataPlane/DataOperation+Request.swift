import HTTPTypes
import Hummingbird
import HummingbirdCore
import TokendCore

extension DataOperation {
    /// The operation a forwarded request performs, from every source present: an explicit
    /// `operation` query argument or `X-Tokend-Operation` header (`metrics.push`…), and the
    /// original method and URI as nginx (`X-Original-*`) or Traefik (`X-Forwarded-*`) pass
    /// them. Proxies pass a client's own headers along too, so no source is trusted over
    /// another: they must all agree, or the request is refused (403). A client can then only make
    /// its own request fail, never widen it. Nil when no source says, or one names a path
    /// we do not know.
    static func of(_ request: Request, query: FlatDictionary<Substring, Substring>) throws(TokendError) -> DataOperation? {
        try of(
            explicit: [query["operation"].map(String.init), request.headers.value(.tokendOperation)],
            originals: [
                (request.headers.value(.originalURI), request.headers.value(.originalMethod)),
                (request.headers.value(.forwardedURI), request.headers.value(.forwardedMethod)),
            ],
            method: request.method.rawValue)
    }

    /// The same, from the sources' values: `explicit` the query argument and the header,
    /// `originals` each proxy's URI and method, `method` the request's own.
    package static func of(explicit: [String?], originals: [(uri: String?, method: String?)], method: String) throws(TokendError)
        -> DataOperation?
    {
        var found: [DataOperation?] = []
        for explicit in explicit {
            guard let explicit else { continue }
            // Only the canonical spelling: DataOperation's reading also takes `..logs.query`.
            guard let operation = DataOperation(explicit), operation.description == explicit else {
                throw .invalidArgument("operation", .format, "operation must be <metrics|logs|traces>.<push|query|rules|alerts>")
            }
            found.append(operation)
        }
        for original in originals {
            guard let path = original.uri else { continue }
            found.append(DataOperation(method: (original.method ?? method).uppercased(), path: path))
        }
        guard let first = found.first else { return nil }
        guard found.allSatisfy({ $0 == first }) else {
            throw .permissionsDenied(
                action: "disagreeing operations",
                resource: "operation, X-Tokend-Operation, X-Original-* and X-Forwarded-* name different operations")
        }
        return first
    }
}
