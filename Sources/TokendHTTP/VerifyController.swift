import HTTPTypes
import Hummingbird
import TokendCore

/// The forward-auth endpoint of one region: nginx `auth_request` and Traefik ForwardAuth
/// call it as they are, with the collector's `Authorization` and `X-Scope-OrgID` and the
/// original method and URI; 200 lets the request through.
struct VerifyController {
    static let path: RouterPath = "/_tokend/verify"
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]
    let verifier: TokenVerifier

    func addRoutes(to router: Router<TokendRequestContext>) {
        for method in Self.methods { router.on(Self.path, method: method, use: verify) }
    }

    @Sendable func verify(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let mode = VerifyMode(request)
        do {
            let access = try await verifier.verify(VerifyRequest(
                authorization: request.headers[.authorization], tenant: request.headers[.scopeOrgID],
                operation: try DataOperation.of(request)))
            var json = JSONWriter()
            json.object { json in
                json.field("operation", access.operation.description)
                json.field("project_id", access.projectID.rawValue)
                json.field("scope", access.scope.rawValue)
                json.field("token_id", access.tokenID.rawValue)
            }
            var response = Response.json(json.text)
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

    init(_ request: Request) {
        self = request.uri.queryParameters["mode"] == "nginx" ? .nginx : .standard
    }

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
    /// The operation a forwarded request performs: an explicit `X-Tokend-Operation` header
    /// or `operation` query argument (`metrics.push`…), else the original method and URI as
    /// nginx (`X-Original-*`) or Traefik (`X-Forwarded-*`) pass them. Nil when none says.
    static func of(_ request: Request) throws(TokendError) -> DataOperation? {
        if let explicit = request.headers[.tokendOperation] ?? request.uri.queryParameters["operation"].map(String.init) {
            guard let operation = DataOperation(explicit) else {
                throw .invalidArgument("operation", .format, "operation must be <metrics|logs|traces>.<push|query|rules|alerts>")
            }
            return operation
        }
        guard let uri = request.headers[.originalURI] ?? request.headers[.forwardedURI] else { return nil }
        let method = request.headers[.originalMethod] ?? request.headers[.forwardedMethod] ?? request.method.rawValue
        return DataOperation(method: method.uppercased(), path: uri)
    }
}
