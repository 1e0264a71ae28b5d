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

    func refusal(_ error: TokendError) -> Response { Response(refusalAnswer(error)) }

    func refusalAnswer(_ error: TokendError) -> WholeAnswer {
        var answer = WholeAnswer.contractError(error)
        if case .authenticationDenied = error { answer.head.headerFields[.wwwAuthenticate] = #"Bearer realm="tokend""# }
        if self == .nginx, answer.head.status != .unauthorized, answer.head.status != .forbidden {
            answer.head.headerFields[.tokendStatus] = String(answer.head.status.code)
            answer.head.status = .forbidden
        }
        return answer
    }
}
