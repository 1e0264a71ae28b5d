/// How management keys are checked.
package enum ManagementAccess: Sendable {
    /// Any non-empty key may manage every project: for local use and test suites.
    case open
    /// Only the keys of a keyring, each limited to its projects.
    case keys(Keyring)

    package var isOpen: Bool { if case .open = self { true } else { false } }

    package func authenticate(key: String?) throws(TokendError) -> ManagementPrincipal {
        guard let key, !key.isEmpty else {
            throw .authenticationDenied(method: .unknownMethod, reason: .invalidArgument)
        }
        switch self {
        case .open:
            return ManagementPrincipal(keyPrefix: Keyring.displayPrefix(of: key), projects: .all, identity: Keyring.digest(key).hexString)
        case .keys(let keyring):
            guard let principal = keyring.principal(for: key) else {
                throw .authenticationDenied(method: .apiKey, reason: .notFound)
            }
            return principal
        }
    }
}
