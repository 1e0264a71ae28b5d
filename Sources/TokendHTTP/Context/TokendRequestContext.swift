import Hummingbird
import NIOCore

/// The context every tokend route sees: Hummingbird's core storage plus the request's id.
package struct TokendRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware`, the router's first middleware, before any route runs.
    package var requestID = ""
    /// The connection, for the one thing a route may do to it: a fault rule's dropped answer.
    let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
