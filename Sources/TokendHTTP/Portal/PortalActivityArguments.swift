import Hummingbird
import HummingbirdCore
import TokendCore

/// `GET /activity`'s query string, read into the core's query.
enum PortalActivityArguments {
    static func parse(_ query: FlatDictionary<Substring, Substring>, organization: OrganizationID) throws(TokendError)
        -> TenantActivityQuery
    {
        func values(_ name: Substring) -> [String] { query[values: name].map(String.init) }
        return try TenantActivityQuery.parse(
            type: values("type"), tenant: values("tenant_id"), text: values("q"), limit: values("limit"),
            cursor: values("cursor"), organization: organization)
    }
}
