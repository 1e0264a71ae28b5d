import Hummingbird
import NIOCore
import TokendCore

/// The context every tokend route sees: Hummingbird's core storage plus the request's id.
package struct TokendRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware`, the router's first middleware, before any route runs.
    package var requestID = ""
    /// For a verify, the region its secret's hint names, read once by `RequestMetricsMiddleware`
    /// (the second) for what comes after it: the journal, the front door's routing. Nil for any
    /// other request, or a secret naming no region.
    package var verifyRegion: RegionName?
    /// The connection, for the one thing a route may do to it: a fault rule's dropped answer.
    let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
