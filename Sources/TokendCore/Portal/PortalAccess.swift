/// How portal users sign in.
package enum PortalAccess: Sendable {
    /// Any email with a non-empty password signs in, as owner, to this one organisation.
    case open(Organization)
    /// Only these users, with their passwords' hashes.
    case users([PortalUser])

    /// The user an email and password sign in as; refused alike whether the email is
    /// unknown or the password wrong, so a caller learns nothing of who has an account.
    package func signIn(email: String, password: String) throws(TokendError) -> PortalUser {
        guard !email.isEmpty, !password.isEmpty else {
            throw .invalidArgument("password", .required, "email and password are required")
        }
        switch self {
        case .open(let organization):
            return PortalUser(email: email, role: .owner, organization: organization, password: nil)
        case .users(let users):
            let user = users.first { $0.email.lowercased() == email.lowercased() }
            // An unknown email still pays for one hash, so timing does not tell them apart.
            let verdict = (user?.password ?? Self.decoy).matches(password)
            guard let user, verdict else { throw .authenticationDenied(method: .unknownMethod, reason: .notFound) }
            return user
        }
    }

    /// The organisations users belong to, by id.
    package var organizations: [Organization] {
        switch self {
        case .open(let organization): [organization]
        case .users(let users): Array(Set(users.map(\.organization))).sorted { $0.id < $1.id }
        }
    }

    package func organization(_ id: OrganizationID) -> Organization? { organizations.first { $0.id == id } }

    /// The configured users of an organisation (open mode has none configured).
    package func members(of id: OrganizationID) -> [PortalUser] {
        if case .users(let users) = self { return users.filter { $0.organization.id == id } }
        return []
    }

    package var isOpen: Bool { if case .open = self { true } else { false } }

    private static let decoy = PasswordHash(
        encoded: "scrypt$32768$8$1$\(String(repeating: "00", count: 16))$\(String(repeating: "00", count: 32))")!
}

/// A user of the portal.
package struct PortalUser: Sendable, Hashable {
    package let email: String
    package let role: PortalRole
    package let organization: Organization
    package let password: PasswordHash?

    package init(email: String, role: PortalRole, organization: Organization, password: PasswordHash?) {
        self.email = email
        self.role = role
        self.organization = organization
        self.password = password
    }
}
