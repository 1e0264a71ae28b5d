import NIOCore
import NIOPosix

/// Bytes written to a live server as they are and everything it answers until it closes the
/// connection: for what a test client rewrites (its own `Connection` header) or cannot do
/// (several requests pipelined on one connection). The last request should ask for
/// `Connection: close`.
enum RawHTTPClient {
    static func exchange(port: Int, _ requests: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: requests))
            var answer = ""
            for try await buffer in inbound { answer += String(buffer: buffer) }
            return answer
        }
    }
}
