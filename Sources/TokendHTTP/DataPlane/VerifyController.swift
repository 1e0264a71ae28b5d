import HTTPTypes
import Hummingbird
import HummingbirdCore
import TokendCore

/// The forward-auth endpoint of one region: nginx `auth_request` and Traefik ForwardAuth
/// call it as they are, with the collector's `Authorization` and `X-Scope-OrgID` and the
/// original method and URI; 200 lets the request through. The front door owns the route
/// (`path`, `methods`) and hands each check to the region the secret names.
struct VerifyController {
    static let path: RouterPath = "/_tokend/verify"
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]
    let verifier: TokenVerifier

    @Sendable func verify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let query = request.uri.queryParameters  // parsed once: the mode and the operation both live there
        let mode = VerifyMode(query)
        do {
            let access = try await verifier.verify(VerifyRequest(
                authorization: request.headers[.authorization], tenant: request.headers[.scopeOrgID],
                operation: try DataOperation.of(request, query: query)))
            var json = JSONWriter()
            json.object { json in
                json.field("operation", access.operation.description)
                json.field("project_id", access.projectID.rawValue)
                json.field("scope", access.scope.rawValue)
                json.field("token_id", access.tokenID.rawValue)
            }
            var response = Response.json(json)
            // Headers the proxy can copy onto the request it lets through.
            response.headers[.tokenID] = access.tokenID.rawValue
            response.headers[.scopeOrgID] = access.projectID.rawValue
            return response
        } catch let error as TokendError {
            return mode.refusal(error)
        }
    }
}

/// How refusals are answered. nginx honours only 2xx, 401 and 403 from an auth service
/// (anything else becomes a 500 for the client), so `?mode=nginx` folds every other
/// refusal into 403 and says the real status in `X-Tokend-Status`.
enum VerifyMode {
    case standard, nginx

    init(_ query: FlatDictionary<Substring, Substring>) {
        self = query["mode"] == "nginx" ? .nginx : .standard
    }

    init(_ request: Request) { self.init(request.uri.queryParameters) }

    func refusal(_ error: TokendError) -> Response {
        var response = Response.contractError(error)
        if case .authenticationDenied = error { response.headers[.wwwAuthenticate] = #"Bearer realm="tokend""# }
        if self == .nginx, response.status != .unauthorized, response.status != .forbidden {
            response.headers[.tokendStatus] = String(response.status.code)
            response.status = .forbidden
        }
        return response
    }
}

extension DataOperation {
    /// The operation a forwarded request performs, from every source present: an explicit
    /// `operation` query argument or `X-Tokend-Operation` header (`metrics.push`…), and the
    /// original method and URI as nginx (`X-Original-*`) or Traefik (`X-Forwarded-*`) pass
    /// them. Proxies pass a client's own headers along too, so no source is trusted over
    /// another: they must all agree, or the request is refused (403). A client can then only make
    /// its own request fail, never widen it. Nil when no source says, or one names a path
    /// we do not know.
    static func of(_ request: Request, query: FlatDictionary<Substring, Substring>) throws(TokendError) -> DataOperation? {
        var found: [DataOperation?] = []
        for explicit in [query["operation"].map(String.init), request.headers[.tokendOperation]] {
            guard let explicit else { continue }
            guard let operation = DataOperation(explicit) else {
                throw .invalidArgument("operation", .format, "operation must be <metrics|logs|traces>.<push|query|rules|alerts>")
            }
            found.append(operation)
        }
        for (uri, method) in [(HTTPField.Name.originalURI, HTTPField.Name.originalMethod), (.forwardedURI, .forwardedMethod)] {
            guard let path = request.headers[uri] else { continue }
            found.append(DataOperation(method: (request.headers[method] ?? request.method.rawValue).uppercased(), path: path))
        }
        guard let first = found.first else { return nil }
        guard found.allSatisfy({ $0 == first }) else {
            throw .permissionsDenied(action: "disagreeing operations",
                                     resource: "operation, X-Tokend-Operation, X-Original-* and X-Forwarded-* name different operations")
        }
        return first
    }
}
