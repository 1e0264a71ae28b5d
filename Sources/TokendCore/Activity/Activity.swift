/// What happened to a token, as the audit trail records it.
package enum ActivityKind: String, Sendable, CaseIterable {
    case created = "api_key.created"
    case rotated = "api_key.rotated"
    case revoked = "api_key.revoked"
    /// Data-plane refusals, counted: one event stands for `count` refusals of one reason.
    case denied = "api_key.denied"
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

    package init(
        at: Timestamp, kind: ActivityKind, tokenID: TokenID?, projectID: ProjectID?, actor: String?,
        requestID: String?, count: Int = 1, reason: String? = nil
    ) {
        self.at = at
        self.kind = kind
        self.tokenID = tokenID
        self.projectID = projectID
        self.actor = actor
        self.requestID = requestID
        self.count = count
        self.reason = reason
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
