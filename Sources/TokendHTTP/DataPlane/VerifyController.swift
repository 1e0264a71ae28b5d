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
            let access = try await verifier.verify(
                VerifyRequest(
                    secret: BearerSecret.presented(in: request), tenant: request.headers.value(.scopeOrgID),
                    operation: try DataOperation.of(request, query: query), contentLength: Self.originalContentLength(of: request)))
            let tokenID = access.tokenID.rawValue  // the answer's and the header's
            var json = JSONWriter()
            json.object { json in
                json.field("operation", access.operation.description)
                json.key("project_id")
                json.uuid(access.projectID.uuid)
                json.field("scope", access.scope.rawValue)
                json.field("tenant", access.tenant)
                json.field("token_id", tokenID)
            }
            var response = Response.json(json)
            // Headers the proxy can copy onto the request it lets through.
            response.headers[.tokenID] = tokenID
            response.headers[.scopeOrgID] = access.tenant
            return response
        } catch let error as TokendError {
            return mode.refusal(error)
        }
    }

    /// The size of the body the proxy holds back: nginx passes it as `X-Original-Content-Length`
    /// (its auth subrequest has no body), Traefik as the request's own `Content-Length`.
    private static func originalContentLength(of request: Request) -> Int64? {
        (request.headers.value(.originalContentLength) ?? request.headers.value(.contentLength)).flatMap { Int64($0) }.map { max(0, $0) }
    }
}
