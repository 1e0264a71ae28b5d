/// What happened to a token, as the audit trail records it.
package enum ActivityKind: String, Sendable, CaseIterable {
    case created = "api_key.created"
    case rotated = "api_key.rotated"
    case revoked = "api_key.revoked"
    /// Data-plane refusals, counted: one event stands for `count` refusals of one reason.
    case denied = "api_key.denied"
    case tenantCreated = "tenant.created"
    /// The display name or environment edited.
    case tenantMetadataUpdated = "tenant.metadata_updated"
    case tenantSuspended = "tenant.suspended"
    /// Resumed.
    case tenantActivated = "tenant.activated"
    case tenantDeleted = "tenant.deleted"
}

extension ActivityKind {
    /// What happened, in words: `Tenant … resumed`, `API key … rotated`. The portal's
    /// event summaries read `<subject> <target> (<name>) <verb>`, and its free-text search
    /// matches these words too.
    package var subject: String { rawValue.hasPrefix("tenant.") ? "Tenant" : "API key" }

    package var verb: String {
        switch self {
        case .created, .tenantCreated: "created"
        case .rotated: "rotated"
        case .revoked: "revoked"
        case .denied: "refused"
        case .tenantMetadataUpdated: "updated"
        case .tenantSuspended: "suspended"
        case .tenantActivated: "resumed"
        case .tenantDeleted: "deleted"
        }
    }

    package func summary(target: String, name: String?) -> String {
        "\(subject) \(target)\(name.map { " (\($0))" } ?? "") \(verb)"
    }
}

/// What an event says beyond its kind: values worth showing (a display name), and the
/// changed fields' values before and after, where there are any.
package struct ActivityDetails: Sendable, Hashable {
    package var metadata: [String: String]
    package var before: [String: String]?
    package var after: [String: String]?

    package init(metadata: [String: String] = [:], before: [String: String]? = nil, after: [String: String]? = nil) {
        self.metadata = metadata
        self.before = before
        self.after = after
    }
}

/// One audit-trail entry before the store numbers it.
package struct ActivityRecord: Sendable, Hashable {
    package let at: Timestamp
    package let kind: ActivityKind
    package let tokenID: TokenID?
    package let projectID: ProjectID?
    /// The management key's display prefix, for management actions.
    package let actor: String?
    package let requestID: String?
    package let count: Int
    /// Why, for denials (`expired`, `scope`, `tenant`, `rate_limited`, …).
    package let reason: String?
    /// The portal user's email, for portal actions.
    package let actorEmail: String?
    package let details: ActivityDetails?

    package init(
        at: Timestamp, kind: ActivityKind, tokenID: TokenID?, projectID: ProjectID?, actor: String?,
        requestID: String?, count: Int = 1, reason: String? = nil, actorEmail: String? = nil, details: ActivityDetails? = nil
    ) {
        self.at = at
        self.kind = kind
        self.tokenID = tokenID
        self.projectID = projectID
        self.actor = actor
        self.requestID = requestID
        self.count = count
        self.reason = reason
        self.actorEmail = actorEmail
        self.details = details
    }
}

/// A stored audit-trail entry.
package struct ActivityEvent: Sendable, Hashable {
    package let id: Int64
    package let record: ActivityRecord
    package let region: RegionName

    package init(id: Int64, record: ActivityRecord, region: RegionName) {
        self.id = id
        self.record = record
        self.region = region
    }
}

/// A validated activity list request: newest first, filtered by project and token.
package struct ActivityQuery: Sendable, Hashable {
    package var projects: ProjectAccess
    package var tokenID: TokenID?
    package var paging: Paging

    package init(projects: ProjectAccess, tokenID: TokenID? = nil, paging: Paging = Paging()) {
        self.projects = projects
        self.tokenID = tokenID
        self.paging = paging
    }
}

package struct ActivityPage: Sendable, Hashable {
    package let totalCount: Int
    package let events: [ActivityEvent]

    package init(totalCount: Int, events: [ActivityEvent]) {
        self.totalCount = totalCount
        self.events = events
    }
}

/// A validated portal activity request: one organisation's events, newest first, across
/// regions. The cursor is where the previous page ended.
package struct TenantActivityQuery: Sendable, Hashable {
    package static let limitRange = 1...200
    package static let defaultLimit = 50

    package var organization: OrganizationID
    package var kind: ActivityKind?
    package var tenant: TenantID?
    /// Free text, matched against the tenant id, the key id, the kind, the actor and the details.
    package var text: String?
    package var limit: Int
    package var before: ActivityCursor?

    package init(
        organization: OrganizationID, kind: ActivityKind? = nil, tenant: TenantID? = nil, text: String? = nil,
        limit: Int = TenantActivityQuery.defaultLimit, before: ActivityCursor? = nil
    ) {
        self.organization = organization
        self.kind = kind
        self.tenant = tenant
        self.text = text
        self.limit = limit
        self.before = before
    }
}

/// A position in the activity of every region together: events sort by time, then region,
/// then the region's own event number, newest first.
package struct ActivityCursor: Sendable, Hashable, Comparable {
    package let at: Timestamp
    package let region: RegionName
    package let id: Int64

    package init(at: Timestamp, region: RegionName, id: Int64) {
        self.at = at
        self.region = region
        self.id = id
    }

    /// Newest first: the greater cursor comes first.
    package static func < (lhs: ActivityCursor, rhs: ActivityCursor) -> Bool {
        (lhs.at, lhs.region, lhs.id) < (rhs.at, rhs.region, rhs.id)
    }

    /// `<microseconds>.<region>.<id>`: opaque to clients, readable in a log.
    package var text: String { "\(at.microsecondsSinceEpoch).\(region).\(id)" }

    package init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].allSatisfy(\.isNumber), parts[2].allSatisfy(\.isNumber), let micros = Int64(parts[0]),
            let region = RegionName(parts[1]), let id = Int64(parts[2])
        else {
            return nil
        }
        self.init(at: Timestamp(microsecondsSinceEpoch: micros), region: region, id: id)
    }
}

/// An event of a tenant, as the portal lists it.
package struct TenantEvent: Sendable, Hashable {
    package let event: ActivityEvent
    package let tenantID: TenantID

    package init(event: ActivityEvent, tenantID: TenantID) {
        self.event = event
        self.tenantID = tenantID
    }

    package var cursor: ActivityCursor { ActivityCursor(at: event.record.at, region: event.region, id: event.id) }
}
