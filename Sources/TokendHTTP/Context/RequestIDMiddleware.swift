import HTTPTypes
import Hummingbird
import Logging
import TokendCore

/// Gives every request an id and every response its `X-Request-Id`. A well-formed id sent
/// by the caller (or by a front door in front of us) is kept, so one id follows a request
/// across hops; anything else is replaced by a fresh UUID.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext

    /// The id of the request being answered, for log lines (`Logger.MetadataProvider.requestID`).
    /// A task-local is read only when a line is logged; setting logger metadata instead cost
    /// every request a re-render of the logger's metadata, logged or not.
    @TaskLocal static var current: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = Self.acceptable(request.headers.value(.requestID)) ?? CanonicalUUID.unseeded().rawValue
        context.requestID = id
        var response = try await Self.$current.withValue(id) { [context] in try await next(request, context) }
        response.headers[.requestID] = id
        return response
    }

    static func acceptable(_ id: String?) -> String? {
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

extension Logger.MetadataProvider {
    /// Adds `request_id` to every line logged while a request is answered.
    package static let requestID = Logger.MetadataProvider {
        RequestIDMiddleware.current.map { ["request_id": .string($0)] } ?? [:]
    }
}
