/// Why one argument of a request was refused: one entry of an `invalid_arguments` error.
package struct ArgumentProblem: Sendable, Hashable {
    package enum Reason: String, Sendable {
        case unknown, required, format, constraint
    }

    package let argumentName: String
    package let reason: Reason
    package let helpMessage: String

    package init(_ argumentName: String, _ reason: Reason, _ helpMessage: String) {
        self.argumentName = argumentName
        self.reason = reason
        self.helpMessage = helpMessage
    }
}

/// Every way a request can fail, in the terms of the Cockpit v1 error contract.
/// The HTTP layer maps each case to its status code and JSON body; nothing here knows HTTP.
package enum TokendError: Error, Sendable, Equatable {
    package enum AuthenticationMethod: String, Sendable { case unknownMethod = "unknown_method", jwt, apiKey = "api_key" }
    package enum AuthenticationReason: String, Sendable {
        case unknownReason = "unknown_reason", invalidArgument = "invalid_argument", notFound = "not_found", expired
    }

    /// `invalid_arguments`: one or more arguments were refused.
    case invalidArguments([ArgumentProblem])
    /// `denied_authentication`: no credentials, or credentials nobody knows.
    case authenticationDenied(method: AuthenticationMethod, reason: AuthenticationReason)
    /// `permissions_denied`: the caller is known but may not do this.
    case permissionsDenied(action: String, resource: String)
    /// `not_found`: no such resource here (or none the caller may see).
    case notFound(resource: String, resourceID: String)
    /// `conflict`.
    case conflict(message: String)
    /// `too_many_requests`; the caller may retry after this many seconds.
    case tooManyRequests(message: String, retryAfterSeconds: Int)
    /// `out_of_stock`: a resource (a region, a store) cannot serve right now.
    case unavailable(resource: String, message: String)
    /// The request body is larger than the service accepts.
    case payloadTooLarge(limitBytes: Int)
    /// `quotas_exceeded`: a plan's limit (the portal's tenant cap) is reached.
    case limitReached(resource: String, message: String)

    package static func invalidArgument(_ name: String, _ reason: ArgumentProblem.Reason, _ help: String) -> TokendError {
        .invalidArguments([ArgumentProblem(name, reason, help)])
    }

    package static func tokenNotFound(_ id: String) -> TokendError {
        .notFound(resource: "token", resourceID: id)
    }
}
