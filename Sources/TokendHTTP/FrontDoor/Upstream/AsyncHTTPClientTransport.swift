import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A remote region reached through AsyncHTTPClient: the transport for `https://` base URLs,
/// where TLS is needed and a relay's extra CPU matters less than the network's.
final class AsyncHTTPClientTransport: UpstreamTransport {
    private let baseURL: String
    private let client: HTTPClient

    /// `readTimeout` bounds each wait for the answer's bytes: `execute`'s deadline ends
    /// once the head has arrived, so a body that stalls is caught by it.
    init(baseURL: String, connectTimeout: TimeAmount, readTimeout: TimeAmount) {
        self.baseURL = baseURL
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: connectTimeout, read: readTimeout))
        configuration.decompression = .disabled
        // A refused connection is an answer: fail at once instead of retrying until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        // As many requests at once as clients send: the default of 8 connections would queue them.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func exchange(_ request: UpstreamRequest, within timeout: TimeAmount, answerLimit: Int) async throws(UpstreamFailure)
        -> UpstreamAnswer
    {
        var upstream = HTTPClientRequest(url: baseURL + request.path)
        upstream.method = request.method
        upstream.headers = request.headers
        if let body = request.body, body.readableBytes > 0 { upstream.body = .bytes(body) }
        do {
            let answer = try await client.execute(upstream, timeout: timeout, logger: nil)
            let body = try await answer.body.collect(upTo: answerLimit)
            return UpstreamAnswer(status: answer.status, headers: answer.headers, body: body, reusable: true)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timeout
        } catch is NIOTooManyBytesError {
            throw .tooLarge
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .connection("\(error)")
        }
    }

    func shutdown() async {
        // In a task of its own, so a cancelled group still gets its connections closed.
        try? await Task { try await client.shutdown() }.value
    }
}
