/// Bounds on what a request may carry.
enum RequestLimits {
    /// Largest request body accepted; a create body is a few hundred bytes.
    static let bodyBytes = 64 * 1024
    /// Deepest JSON nesting accepted; a create body nests two levels.
    static let jsonDepth = 32
}
