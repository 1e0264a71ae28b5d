import HTTPTypes
import Hummingbird
import TokendCore

/// What the front door needs to serve xScaler's portal: the core's `Portal`, its sign-in
/// tokens, and each region's data-plane hosts.
package struct PortalFace: Sendable {
    package let portal: Portal
    package let sessions: PortalSessions
    private let regionHosts: [RegionName: RegionHosts]

    package init(portal: Portal, sessions: PortalSessions, hosts: [RegionName: RegionHosts] = [:]) {
        self.portal = portal
        self.sessions = sessions
        self.regionHosts = hosts
    }

    /// A region's hosts, as configured or by default `<region>.m|l|t.tokend.localhost`.
    func hosts(of region: RegionName) -> RegionHosts {
        regionHosts[region] ?? RegionHosts(edge: region.rawValue, baseDomain: RegionHosts.defaultBaseDomain)
    }

    /// The caller a request's `Authorization: Bearer <JWT>` (or the browser's `session`
    /// cookie) names; anything else is 401. The organisation must still be configured.
    func authenticate(_ request: Request, requestID: String) async throws -> PortalCaller {
        guard let token = Self.presentedToken(in: request) else {
            throw TokendError.authenticationDenied(method: .jwt, reason: .invalidArgument)
        }
        let claims = try await sessions.verify(token)
        guard let organization = portal.access.organization(claims.organization) else {
            throw TokendError.authenticationDenied(method: .jwt, reason: .notFound)
        }
        return PortalCaller(email: claims.email, role: claims.role, organization: organization, requestID: requestID)
    }

    private static func presentedToken(in request: Request) -> String? {
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { return nil }
            let token = header.dropFirst("Bearer ".count)
            return token.isEmpty ? nil : String(token)
        }
        for cookie in request.headers[values: .cookie].flatMap({ $0.split(separator: ";") }) {
            let pair = cookie.trimmingPrefix(" ")
            if pair.hasPrefix("session=") { return String(pair.dropFirst("session=".count)) }
        }
        return nil
    }
}

extension RegionHosts {
    package static let defaultBaseDomain = "tokend.localhost"
}
