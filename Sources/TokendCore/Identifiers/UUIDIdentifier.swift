/// An id that is a UUID on the wire. Each kind of id is its own type, so a project id can
/// never be passed where a token id is expected; they share their parsing through here.
package protocol UUIDIdentifier: Sendable, Hashable, Comparable, CustomStringConvertible {
    var uuid: CanonicalUUID { get }
    init(uuid: CanonicalUUID)
}

extension UUIDIdentifier {
    /// Accepts a UUID in either case; keeps it lowercase (see `CanonicalUUID`).
    @inlinable package init?(_ text: String) {
        guard let uuid = CanonicalUUID(text) else { return nil }
        self.init(uuid: uuid)
    }

    @inlinable package init?(_ text: some StringProtocol) { self.init(String(text)) }

    /// The canonical lowercase text, as the wire and the store carry it.
    @inlinable package var rawValue: String { uuid.rawValue }

    package var description: String { uuid.rawValue }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.uuid < rhs.uuid }

    /// A new random (version 4) id.
    package static func random() -> Self { Self(uuid: .random()) }

    /// Parses a required id argument, naming the argument in the error.
    package static func parse(_ text: String?, argument: String) throws(TokendError) -> Self {
        guard let text, !text.isEmpty else {
            throw .invalidArgument(argument, .required, "\(argument) is required")
        }
        guard let id = Self(text) else {
            throw .invalidArgument(argument, .format, "\(argument) must be a UUID like 11111111-2222-4333-8444-555555555555")
        }
        return id
    }
}

/// A project: the tenant a token belongs to (its `X-Scope-OrgID` on the data plane).
package struct ProjectID: UUIDIdentifier {
    package let uuid: CanonicalUUID
    @inlinable package init(uuid: CanonicalUUID) { self.uuid = uuid }
}

/// A token.
package struct TokenID: UUIDIdentifier {
    package let uuid: CanonicalUUID
    @inlinable package init(uuid: CanonicalUUID) { self.uuid = uuid }

    /// A new time-ordered id (UUIDv7): tokens created one after another sort after each other.
    package static func timeOrdered(at time: Timestamp) -> TokenID { TokenID(uuid: .timeOrdered(at: time)) }
}
