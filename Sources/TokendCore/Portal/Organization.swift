/// An xScaler organisation as configured: the open mode's one, or one of the keys file's.
package struct Organization: Sendable, Hashable {
    package let id: OrganizationID
    package let slug: OrganizationSlug
    package let displayName: String
    package let plan: Plan

    package init(id: OrganizationID? = nil, displayName: String, plan: Plan) {
        self.id = id ?? .derived(fromName: displayName)
        self.slug = OrganizationSlug(displayName: displayName)
        self.displayName = displayName
        self.plan = plan
    }
}

/// A billing plan: what an organisation may have. Operators configure plans; these are the
/// defaults (the reference's proposal; `nil`: no limit).
package struct Plan: Sendable, Hashable {
    package let id: String
    package let maximumActiveSeries: Int?
    package let maximumTenants: Int?

    package init(id: String, maximumActiveSeries: Int?, maximumTenants: Int?) {
        self.id = id
        self.maximumActiveSeries = maximumActiveSeries
        self.maximumTenants = maximumTenants
    }

    package static let free = Plan(id: "free", maximumActiveSeries: 10_000, maximumTenants: 3)
    package static let scale = Plan(id: "scale", maximumActiveSeries: 20_000, maximumTenants: 10)
    package static let enterprise = Plan(id: "enterprise", maximumActiveSeries: nil, maximumTenants: nil)
    package static let defaults: [Plan] = [.free, .scale, .enterprise]

    package static func named(_ id: String) -> Plan? { defaults.first { $0.id == id } }
}

/// A portal user's role (the reference's L-UM): owners and admins do everything (only they
/// delete tenants and invite), members create and manage tenants and keys, viewers read.
package enum PortalRole: String, Sendable, Hashable, CaseIterable {
    case owner, admin, member, viewer

    package enum Action: String, Sendable {
        case read, write, administer
    }

    package func allows(_ action: Action) -> Bool {
        switch (self, action) {
        case (_, .read): true
        case (.owner, _), (.admin, _): true
        case (.member, .write): true
        default: false
        }
    }
}

/// Who calls the portal, once their JWT is accepted.
package struct PortalCaller: Sendable, Hashable {
    package let email: String
    package let role: PortalRole
    package let organization: Organization
    package let requestID: String?

    package init(email: String, role: PortalRole, organization: Organization, requestID: String?) {
        self.email = email
        self.role = role
        self.organization = organization
        self.requestID = requestID
    }

    /// Refuses an action the role does not allow (403), before anything is read.
    package func require(_ action: PortalRole.Action) throws(TokendError) {
        guard role.allows(action) else {
            throw .permissionsDenied(action: action.rawValue, resource: "the organisation (role \(role.rawValue))")
        }
    }

    /// The caller as the token core sees it: a principal limited to one tenant's project.
    func origin(for tenant: Tenant) -> RequestOrigin {
        RequestOrigin(
            principal: ManagementPrincipal(keyPrefix: email, projects: .only([tenant.projectID]), identity: "portal:" + email),
            requestID: requestID, actorEmail: email)
    }
}
