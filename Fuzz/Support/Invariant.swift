#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stops the run when a parser breaks one of its own promises: libFuzzer takes the abort for
/// a crash, keeps the input as an artifact and reports it, like any other finding.
package func invariant(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    guard !condition else { return }
    impossible(message(), file: file, line: line)
}

/// Fails the run when the input reaches a state the harness says cannot happen.
package func impossible(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    var report = "invariant failed at \(file):\(line): \(message)\n"
    report.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    abort()
}
