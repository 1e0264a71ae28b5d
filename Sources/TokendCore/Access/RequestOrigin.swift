/// Who asked for a management action, for the audit trail.
package struct RequestOrigin: Sendable, Hashable {
    package let principal: ManagementPrincipal
    package let requestID: String?

    package init(principal: ManagementPrincipal, requestID: String?) {
        self.principal = principal
        self.requestID = requestID
    }
}
