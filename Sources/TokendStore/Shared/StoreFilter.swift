import TokendCore

/// A value a filter compares with, in the types both stores' columns hold.
enum StoreValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
}

/// A WHERE clause under construction, with its values, written once for both stores: each
/// condition marks its values `?`, and each store renders them its own way (SQLite keeps `?`,
/// PostgreSQL numbers them `$1`, `$2`…).
struct StoreFilter {
    private(set) var conditions: [String] = []
    private(set) var values: [StoreValue] = []

    mutating func add(_ condition: String, _ values: [StoreValue] = []) {
        conditions.append(condition)
        self.values += values
    }

    /// `project_id IN (…)` for a caller limited to some projects; nothing for one who sees all.
    mutating func projects(_ access: ProjectAccess, column: String = "project_id") {
        if case .only(let projects) = access {
            let sorted = projects.map(\.rawValue).sorted()
            add("\(column) IN (" + Array(repeating: "?", count: sorted.count).joined(separator: ",") + ")", sorted.map(StoreValue.text))
        }
    }

    var clause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }
}

extension TokenListQuery {
    /// The filter of this query's projects and scopes.
    var filter: StoreFilter {
        var filter = StoreFilter()
        filter.projects(projects)
        if !requiredScopes.isEmpty {
            let mask = StoreValue.integer(requiredScopes.bitmask)
            filter.add("scopes & ? = ?", [mask, mask])
        }
        return filter
    }
}

extension ActivityQuery {
    /// The filter of this query's projects and token.
    var filter: StoreFilter {
        var filter = StoreFilter()
        filter.projects(projects)
        if let tokenID { filter.add("token_id = ?", [.text(tokenID.rawValue)]) }
        return filter
    }
}

extension TenantActivityQuery {
    /// The filter of the portal's activity log over `activity JOIN tenant`, for this region's
    /// part of the page before the cursor.
    func filter(in region: RegionName) -> StoreFilter {
        var filter = StoreFilter()
        filter.add("tenant.org_id = ?", [.text(organization.rawValue)])
        // Data-plane refusals are the Cockpit face's counters, not portal events.
        filter.add("activity.kind != ?", [.text(ActivityKind.denied.rawValue)])
        if let kind { filter.add("activity.kind = ?", [.text(kind.rawValue)]) }
        if let tenant { filter.add("tenant.id = ?", [.text(tenant.rawValue)]) }
        if let text, !text.isEmpty {
            let pattern = StoreValue.text(
                "%" + text.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%")
            // The summary is written when an event is shown; its words are the kind's.
            let kinds = ActivityKind.allCases.filter { "\($0.subject) \($0.verb)".lowercased().contains(text.lowercased()) }
            let byKind =
                kinds.isEmpty ? "" : " OR activity.kind IN (" + Array(repeating: "?", count: kinds.count).joined(separator: ",") + ")"
            filter.add(
                """
                (tenant.id LIKE ? ESCAPE '\\' OR ('key_' || replace(activity.token_id, '-', '')) LIKE ? ESCAPE '\\'
                 OR activity.kind LIKE ? ESCAPE '\\' OR activity.actor_email LIKE ? ESCAPE '\\' OR activity.details LIKE ? ESCAPE '\\'\(byKind))
                """, Array(repeating: pattern, count: 5) + kinds.map { .text($0.rawValue) })
        }
        if let cursor = before {
            // Events sort by (time, region, number), newest first; this region's part of "older than the cursor".
            let at = StoreValue.integer(cursor.at.microsecondsSinceEpoch)
            if region < cursor.region {
                filter.add("activity.at <= ?", [at])
            } else if region == cursor.region {
                filter.add("(activity.at < ? OR (activity.at = ? AND activity.id < ?))", [at, at, .integer(cursor.id)])
            } else {
                filter.add("activity.at < ?", [at])
            }
        }
        return filter
    }
}
