import Hummingbird

/// The context every tokend route sees: Hummingbird's core storage plus the request's id.
package struct TokendRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware`, the router's first middleware, before any route runs.
    package var requestID = ""

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
