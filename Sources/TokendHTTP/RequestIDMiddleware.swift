import HTTPTypes
import Hummingbird
import TokendCore

/// Gives every request an id and every response its `X-Request-Id`. A well-formed id sent
/// by the caller (or by a front door in front of us) is kept, so one id follows a request
/// across hops; anything else is replaced by a fresh UUID.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = context.requestID ?? Self.acceptable(request.headers[.requestID]) ?? UUIDText.random().rawValue
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    private static func acceptable(_ id: String?) -> String? {
        guard let id, (1...128).contains(id.utf8.count),
              id.utf8.allSatisfy({ byte in
                  (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                      || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                      || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
              })
        else { return nil }
        return id
    }
}
