import HTTPTypes
import Hummingbird
import Logging
import TokendCore

/// The portal's errors: `{"error": "<code>", "message": "<text>"}` with the status the
/// reference's proposal gives each code. The same core errors as the Cockpit face, in
/// xScaler's terms.
extension TokendError {
    var portalStatus: HTTPResponse.Status {
        switch self {
        case .limitReached: HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
        default: status
        }
    }

    var portalCode: String {
        switch self {
        case .invalidArguments: "invalid_request"
        case .authenticationDenied: "unauthorized"
        case .permissionsDenied: "forbidden"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .tooManyRequests: "rate_limited"
        case .unavailable: "unavailable"
        case .payloadTooLarge: "payload_too_large"
        case .limitReached: "tenant_limit_reached"
        }
    }

    var portalMessage: String {
        switch self {
        case .invalidArguments(let problems): problems.map(\.helpMessage).joined(separator: "; ")
        case .authenticationDenied(method: .unknownMethod, _): "the email or the password is not right"
        case .authenticationDenied: "sign in again: the bearer token is missing, malformed, expired or not ours"
        case .permissionsDenied(let action, let resource): "\(action) is not allowed on \(resource)"
        case .notFound(let resource, let id): "\(resource) \(id) not found"
        case .conflict(let message), .tooManyRequests(let message, _), .unavailable(_, let message), .limitReached(_, let message):
            message
        case .payloadTooLarge(let limit): "the request body is larger than \(limit) bytes"
        }
    }
}

extension Response {
    static func portalError(_ error: TokendError) -> Response {
        var json = JSONWriter()
        json.object { json in
            json.field("error", error.portalCode)
            json.field("message", error.portalMessage)
        }
        var response = Response.json(json, status: error.portalStatus)
        switch error {
        case .tooManyRequests(_, let seconds): response.headers[.retryAfter] = String(seconds)
        case .unavailable: response.headers[.retryAfter] = String(unavailableRetryAfterSeconds)
        default: break
        }
        return response
    }
}

/// Every failure of a portal route in the portal's error format, logged like the Cockpit
/// face's (client mistakes at debug level, ours at error level).
struct PortalErrorMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let error: TokendError
        do {
            return try await next(request, context)
        } catch let refused as TokendError {
            error = refused
        } catch let relayed as RelayedPortalError {
            // A region's own refusal, answered as the region worded it.
            return Response(
                status: HTTPResponse.Status(code: relayed.status), headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: relayed.body))
        } catch let refused as any HTTPResponseError {
            switch refused.status {
            case .notFound: error = .notFound(resource: "route", resourceID: "\(request.method) \(request.uri.path)")
            case .contentTooLarge: error = .payloadTooLarge(limitBytes: RequestLimits.bodyBytes)
            default: error = .invalidArgument("request", .format, (refused as? HTTPError)?.body ?? refused.status.reasonPhrase)
            }
        } catch {
            context.logger.error(
                "portal request failed",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            return .json(#"{"error":"internal_error","message":"internal error"}"#, status: .internalServerError)
        }
        context.logger.log(
            level: error.portalStatus.code >= 500 ? .error : .debug, "portal request refused",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(error.portalStatus.code)",
                "error": "\(error)",
            ])
        return .portalError(error)
    }
}

/// A path under the portal's prefixes that no route took is still answered in the portal's
/// error format (the Cockpit face's would answer in its own). On the front door's router,
/// so it sees the router's own "no route".
struct PortalPathsMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext
    static let prefixes = ["/auth/", "/org/", "/tenants/", "/activity/", "/dashboard/", "/api/portal/"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            let path = request.uri.path
            guard Self.prefixes.contains(where: { path.hasPrefix($0) }) else { throw error }
            return .portalError(.notFound(resource: "route", resourceID: "\(request.method) \(path)"))
        }
    }
}
