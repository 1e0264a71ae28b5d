import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where tokend's log handlers put finished lines: standard error, each line one write(2) of
/// the whole line, unbuffered (a crash loses no line already logged), under one lock for the
/// process, so lines of concurrent requests and of different loggers never interleave. A test
/// hands its own sink instead.
struct LogLineOutput: Sendable {
    private let sink: @Sendable ([UInt8]) -> Void

    init(write: (@Sendable ([UInt8]) -> Void)? = nil) { sink = write ?? Self.standardError }

    func write(_ line: [UInt8]) { sink(line) }

    private static let lock = Mutex(())

    private static let standardError: @Sendable ([UInt8]) -> Void = { line in
        lock.withLock { _ in
            line.withUnsafeBytes { bytes in
                var written = 0
                while written < bytes.count {
                    let result = Glibc.write(STDERR_FILENO, bytes.baseAddress! + written, bytes.count - written)
                    if result > 0 {
                        written += result
                    } else if result < 0 && errno == EINTR {
                        continue
                    } else {
                        return  // stderr closed, or full and non-blocking: the line is lost, not the server
                    }
                }
            }
        }
    }
}
