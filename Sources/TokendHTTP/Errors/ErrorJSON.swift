import HTTPTypes
import TokendCore

extension TokendError {
    /// The HTTP status the contract gives this error.
    var status: HTTPResponse.Status {
        switch self {
        case .invalidArguments: .badRequest
        case .authenticationDenied: .unauthorized
        case .permissionsDenied: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .payloadTooLarge: .contentTooLarge
        case .limitReached: .forbidden
        }
    }

    /// The contract's JSON body: keys in alphabetical order, as the public API sends them.
    var json: JSONWriter {
        var writer = JSONWriter()
        writer.object { json in
            switch self {
            case .invalidArguments(let problems):
                json.key("details")
                json.array(problems) { json, problem in
                    json.object { json in
                        json.field("argument_name", problem.argumentName)
                        json.field("help_message", problem.helpMessage)
                        json.field("reason", problem.reason.rawValue)
                    }
                }
                json.field("message", "invalid argument(s)")
                json.field("type", "invalid_arguments")
            case .authenticationDenied(let method, let reason):
                json.field("message", "authentication is denied")
                json.field("method", method.rawValue)
                json.field("reason", reason.rawValue)
                json.field("type", "denied_authentication")
            case .permissionsDenied(let action, let resource):
                json.key("details")
                json.array([()]) { json, _ in
                    json.object { json in
                        json.field("action", action)
                        json.field("resource", resource)
                    }
                }
                json.field("message", "insufficient permissions")
                json.field("type", "permissions_denied")
            case .notFound(let resource, let resourceID):
                json.field("message", "resource is not found")
                json.field("resource", resource)
                json.field("resource_id", resourceID)
                json.field("type", "not_found")
            case .conflict(let message):
                json.field("message", message)
                json.field("type", "conflict")
            case .tooManyRequests(let message, _):
                json.field("message", message)
                json.field("type", "too_many_requests")
            case .unavailable(let resource, let message):
                json.field("message", message)
                json.field("resource", resource)
                json.field("type", "out_of_stock")
            case .payloadTooLarge(let limitBytes):
                json.field("message", "the request body is larger than \(limitBytes) bytes")
                json.field("type", "payload_too_large")
            case .limitReached(let resource, let message):
                json.field("message", message)
                json.field("resource", resource)
                json.field("type", "quotas_exceeded")
            }
        }
        return writer
    }
}

/// The body of a failure that is ours, not the client's: still JSON, never a stack trace.
let internalErrorJSON = #"{"message":"internal error","type":"internal_error"}"#
