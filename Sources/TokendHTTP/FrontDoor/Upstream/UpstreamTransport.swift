import NIOCore

/// How a gateway reaches one remote region's server: an exchange gets the whole answer
/// within `timeout` or fails with why; `shutdown` closes every connection.
protocol UpstreamTransport: Sendable {
    func exchange(_ request: UpstreamRequest, within timeout: TimeAmount, answerLimit: Int) async throws(UpstreamFailure)
        -> UpstreamAnswer
    func shutdown() async
}
