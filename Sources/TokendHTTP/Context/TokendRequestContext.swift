import Hummingbird

/// The context every tokend route sees: Hummingbird's core storage plus the request id,
/// which is set once at the outermost router and kept when a request is handed to a
/// region's router in the same process.
public struct TokendRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
