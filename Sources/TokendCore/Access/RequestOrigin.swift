/// Who asked for a management action, for the audit trail.
package struct RequestOrigin: Sendable, Hashable {
    package let principal: ManagementPrincipal
    package let requestID: String?
    /// The portal user's email, for actions taken through the portal.
    package let actorEmail: String?

    package init(principal: ManagementPrincipal, requestID: String?, actorEmail: String? = nil) {
        self.principal = principal
        self.requestID = requestID
        self.actorEmail = actorEmail
    }
}
