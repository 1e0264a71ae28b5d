import HTTPTypes
import NIOHTTP1
import Testing

@testable import TokendHTTP

/// What a relay passes on: a message's own headers, never the connection's.
@Suite struct HopByHopTests {
    @Test func aRegionsAnswerLosesItsConnectionHeadersAndDateOnly() {
        let answer: HTTPHeaders = [
            "Content-Type": "application/json", "Connection": "keep-alive, X-Region-Private", "Keep-Alive": "timeout=5",
            "X-Region-Private": "p", "Transfer-Encoding": "chunked", "date": "Wed, 02 Dec 2026 12:00:00 GMT",
            "X-Request-Id": "r-1", "Retry-After": "1",
        ]
        let relayed = HopByHop.relayedAnswer(answer)
        #expect(relayed.map(\.name.rawName) == ["Content-Type", "X-Request-Id", "Retry-After"])
        #expect(relayed[.contentType] == "application/json")
        #expect(relayed[.retryAfter] == "1")
    }

    @Test func aClientsRequestLosesItsConnectionHeaders() {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer x"
        fields[.connection] = "close, X-Client-Private"
        fields[HTTPField.Name("X-Client-Private")!] = "p"
        fields[.te] = "trailers"
        fields[HTTPField.Name("Host")!] = "gateway"
        let relayed = HopByHop.relayed(fields)
        #expect(relayed.map(\.name) == ["Authorization"])
    }
}
