/// What happened to a token, as the audit trail records it.
public enum ActivityKind: String, Sendable, CaseIterable {
    case created = "api_key.created"
    case rotated = "api_key.rotated"
    case revoked = "api_key.revoked"
    /// Data-plane refusals, counted: one event stands for `count` refusals of one reason.
    case denied = "api_key.denied"
}

/// One audit-trail entry before the store numbers it.
public struct ActivityRecord: Sendable, Hashable {
    public let at: Timestamp
    public let kind: ActivityKind
    public let tokenID: TokenID?
    public let projectID: ProjectID?
    /// The management key's display prefix, for management actions.
    public let actor: String?
    public let requestID: String?
    public let count: Int
    /// Why, for denials (`expired`, `scope`, `tenant`, `rate_limited`, …).
    public let reason: String?

    public init(at: Timestamp, kind: ActivityKind, tokenID: TokenID?, projectID: ProjectID?, actor: String?,
                requestID: String?, count: Int = 1, reason: String? = nil) {
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
public struct ActivityEvent: Sendable, Hashable {
    public let id: Int64
    public let record: ActivityRecord
    public let region: RegionName

    public init(id: Int64, record: ActivityRecord, region: RegionName) {
        self.id = id
        self.record = record
        self.region = region
    }
}

/// A validated activity list request: newest first, filtered by project and token.
public struct ActivityQuery: Sendable, Hashable {
    public var projects: ProjectAccess
    public var tokenID: TokenID?
    public var paging: Paging

    public init(projects: ProjectAccess, tokenID: TokenID? = nil, paging: Paging = Paging()) {
        self.projects = projects
        self.tokenID = tokenID
        self.paging = paging
    }
}

public struct ActivityPage: Sendable, Hashable {
    public let totalCount: Int
    public let events: [ActivityEvent]

    public init(totalCount: Int, events: [ActivityEvent]) {
        self.totalCount = totalCount
        self.events = events
    }
}

/// Who asked for a management action, for the audit trail.
public struct RequestOrigin: Sendable, Hashable {
    public let principal: ManagementPrincipal
    public let requestID: String?

    public init(principal: ManagementPrincipal, requestID: String?) {
        self.principal = principal
        self.requestID = requestID
    }
}
