import HTTPTypes
import Hummingbird
import HummingbirdCore
import TokendCore

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
