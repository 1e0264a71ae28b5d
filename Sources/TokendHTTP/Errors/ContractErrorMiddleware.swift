import HTTPTypes
import Hummingbird
import Logging
import TokendCore

/// Turns every failure into the contract's JSON error: never an empty or HTML body, never
/// a stack trace. Client mistakes are logged at debug level, our own at error level.
struct ContractErrorMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as TokendError {
            return render(error, request: request, context: context)
        } catch let error as any HTTPResponseError {
            return render(Self.contractError(for: error, request: request), request: request, context: context)
        } catch {
            context.logger.error(
                "request failed",
                metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))",
                ])
            return .json(internalErrorJSON, status: .internalServerError)
        }
    }

    private func render(_ error: TokendError, request: Request, context: Context) -> Response {
        Self.logRefusal(error, method: request.method, path: request.uri.path, logger: context.logger)
        return .contractError(error)
    }

    /// The line a refusal is logged with; the gateway's channel relay logs its own 503s so.
    static func logRefusal(_ error: TokendError, method: HTTPRequest.Method, path: String, logger: Logger) {
        let level: Logger.Level = error.status.code >= 500 ? .error : .debug
        logger.log(
            level: level, "request refused",
            metadata: ["method": "\(method)", "path": "\(path)", "status": "\(error.status.code)", "error": "\(error)"])
    }

    /// Hummingbird's and NIO's own errors (no route, body too large…) in the contract's terms.
    private static func contractError(for error: any HTTPResponseError, request: Request) -> TokendError {
        switch error.status {
        case .notFound: .notFound(resource: "route", resourceID: "\(request.method) \(request.uri.path)")
        case .contentTooLarge: .payloadTooLarge(limitBytes: RequestLimits.bodyBytes)
        default: .invalidArgument("request", .format, (error as? HTTPError)?.body ?? error.status.reasonPhrase)
        }
    }
}
