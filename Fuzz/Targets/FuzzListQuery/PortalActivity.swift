import TokendCore
import TokendFuzzSupport

let organization = OrganizationID("xs_org_0123456789abcdef0123456789abcdef")!

func checkPortalActivity(_ values: (Substring) -> [String]) {
    let (type, tenant, text, limit, cursor) = (values("type"), values("tenant_id"), values("q"), values("limit"), values("cursor"))
    let query = checkQuery(
        "portal activity", arguments: ["type", "tenant_id", "q", "limit", "cursor"],
        parse: { () throws(TokendError) in
            try TenantActivityQuery.parse(type: type, tenant: tenant, text: text, limit: limit, cursor: cursor, organization: organization)
        },
        writtenBack: { query throws(TokendError) in
            try TenantActivityQuery.parse(
                type: query.kind.map { [$0.rawValue] } ?? [], tenant: query.tenant.map { [$0.rawValue] } ?? [],
                text: query.text.map { [$0] } ?? [], limit: [String(query.limit)], cursor: query.before.map { [$0.text] } ?? [],
                organization: organization)
        })
    guard let query else { return }
    invariant(TenantActivityQuery.limitRange.contains(query.limit), "portal activity accepted the limit \(query.limit)")
    invariant(query.kind != .denied, "portal activity accepted the kind denied")
    if let text = query.text {
        invariant(
            text.unicodeScalars.count <= 200 && !text.unicodeScalars.contains(where: \.isControl), "portal activity accepted q=\(text)")
    }
    if let cursor = query.before { invariant(ActivityCursor(text: cursor.text) == cursor, "the cursor \(cursor) does not read back") }
}
