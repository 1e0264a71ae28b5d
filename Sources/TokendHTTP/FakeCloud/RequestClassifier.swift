import HTTPTypes
import Hummingbird
import TokendCore

/// Names what a request does from its method and path alone (no routing, no body): the
/// dialect, the region its path or secret names, and the operation, as fault rules and the
/// request journal speak of them.
enum RequestClassifier {
    /// For a verify, the region its secret's hint names (an xScaler key names none).
    static func verifyRegion(of request: Request) -> RegionName? {
        guard request.uri.path == "/_tokend/verify" else { return nil }
        return BearerSecret.presented(in: request).flatMap { SecretFormat.region(of: $0) }
    }

    static func classify(method: HTTPRequest.Method, path: String, verifyRegion: RegionName?) -> ClassifiedRequest {
        if path == "/_tokend/verify" {
            return ClassifiedRequest(dialect: .dataPlane, region: verifyRegion, operation: "verify")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        if parts.count >= 4, parts[0] == "cockpit", parts[1] == "v1", parts[2] == "regions" {
            return ClassifiedRequest(dialect: .cockpit, region: RegionName(parts[3]), operation: cockpit(method, Array(parts.dropFirst(4))))
        }
        let portal = parts.starts(with: ["api", "portal"]) ? Array(parts.dropFirst(2)) : parts
        if let operation = self.portal(method, portal) {
            return ClassifiedRequest(dialect: .xscaler, region: nil, operation: operation)
        }
        return ClassifiedRequest(dialect: .tokend, region: nil, operation: "\(method.rawValue.lowercased()) \(path.prefix(64))")
    }

    /// `tokens…` under a region: create, list, get, delete, rotate, activity.
    private static func cockpit(_ method: HTTPRequest.Method, _ rest: [String]) -> String {
        switch (method, rest.count, rest.first) {
        case (.post, 1, "tokens"): "create"
        case (.get, 1, "tokens"): "list"
        case (.get, 2, "tokens"): "get"
        case (.delete, 2, "tokens"): "delete"
        case (.post, 3, "tokens") where rest[2] == "rotate": "rotate"
        case (.get, 1, "activity"): "activity"
        default: "other"
        }
    }

    /// The portal's operations: `login`, `create_tenant`, `list_keys`, `rotate_key`, …; nil
    /// for a path that is not the portal's.
    private static func portal(_ method: HTTPRequest.Method, _ parts: [String]) -> String? {
        switch (parts.first, parts.count) {
        case ("auth", _): return parts.last.map { $0 == "login" ? "login" : "auth_\($0)" }
        case ("org", _): return parts.count == 1 ? "get_org" : "members"
        case ("activity", 1): return "activity"
        case ("dashboard", _): return parts.contains("usage") ? "usage" : "summary"
        case ("tenants", 1): return method == .post ? "create_tenant" : "list_tenants"
        case ("tenants", 2):
            switch method {
            case .patch: return "update_tenant"
            case .delete: return "delete_tenant"
            default: return "get_tenant"
            }
        case ("tenants", 3):
            switch parts[2] {
            case "suspend", "pause": return "suspend_tenant"
            case "resume": return "resume_tenant"
            case "keys": return method == .post ? "create_key" : "list_keys"
            case "dashboard": return "usage"
            default: return "other"
            }
        case ("tenants", 4): return method == .delete ? "revoke_key" : "get_key"
        case ("tenants", 5): return parts[4] == "rotate" ? "rotate_key" : "other"
        case ("tenants", _): return "other"
        default: return nil
        }
    }
}
