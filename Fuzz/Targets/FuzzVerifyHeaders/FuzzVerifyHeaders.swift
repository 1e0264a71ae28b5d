import TokendCore
import TokendFuzzSupport
import TokendHTTP

/// What verify reads from a forwarded request's headers, one per line of the input:
/// `Authorization`, `X-Scope-OrgID`, the `operation` query argument, `X-Tokend-Operation`,
/// `X-Original-URI`, `X-Original-Method`, `X-Forwarded-Uri`, `X-Forwarded-Method` and the
/// request's own method. A missing line is an absent header; an empty line an empty one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let lines = FuzzInput(start, count).lines(9)
    func header(_ index: Int) -> String? { index < lines.count ? lines[index] : nil }
    checkBearer(header(0))
    checkTenants(header(1))
    checkOperation(
        explicit: [header(2), header(3)], originals: [(header(4), header(5)), (header(6), header(7))], method: header(8) ?? "GET")
    return 0
}

func checkBearer(_ authorization: String?) {
    guard let secret = BearerSecret.presented(inAuthorization: authorization) else {
        if let authorization, authorization.count > 7 {
            invariant(authorization.prefix(7).lowercased() != "bearer ", "no secret read from \(authorization)")
        }
        return
    }
    guard let authorization else { impossible("a secret read from no header") }
    invariant(authorization.hasSuffix(secret), "the secret \(secret) is not the end of \(authorization)")
    invariant(secret.first != " ", "the secret \(secret) starts with a space")
    invariant(authorization.dropLast(secret.count).lowercased().trimmingSuffixSpaces == "bearer", "\(authorization) is not Bearer")
}

func checkTenants(_ header: String?) {
    let tenants: [String]
    do {
        tenants = try TenantIDs.parse(header)
    } catch {
        expectArgumentRefusal(error, naming: ["X-Scope-OrgID"], "X-Scope-OrgID")
        return
    }
    invariant(tenants.joined(separator: "|") == header, "the tenants \(tenants) are not \(String(describing: header))")
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!-_.*'()".utf8)
    for tenant in tenants {
        invariant((1...150).contains(tenant.utf8.count) && tenant.utf8.allSatisfy(allowed.contains), "the tenant \(tenant) was accepted")
        invariant(![".", "..", "__mimir_cluster"].contains(tenant), "the tenant \(tenant) was accepted")
    }
}

func checkOperation(explicit: [String?], originals: [(uri: String?, method: String?)], method: String) {
    for text in explicit.compactMap({ $0 }) {
        guard let operation = DataOperation(text) else { continue }
        invariant(DataOperation(operation.description) == operation, "\(operation) does not read back")
    }
    for original in originals {
        guard let path = original.uri, let operation = DataOperation(method: (original.method ?? method).uppercased(), path: path) else {
            continue
        }
        let bare = String(path.prefix { $0 != "?" })
        invariant(
            DataOperation(method: (original.method ?? method).uppercased(), path: bare) == operation,
            "\(path)'s query changed its operation")
    }
    let operation: DataOperation?
    do {
        operation = try DataOperation.of(explicit: explicit, originals: originals, method: method)
    } catch {
        if case .permissionsDenied = error { return }
        expectArgumentRefusal(error, naming: ["operation"], "the operation")
        return
    }
    // What it answers, every source present says, an explicit one in its canonical spelling.
    for text in explicit.compactMap({ $0 }) {
        invariant(operation?.description == text, "\(text) disagrees with the answer \(String(describing: operation))")
    }
    for original in originals {
        guard let path = original.uri else { continue }
        let named = DataOperation(method: (original.method ?? method).uppercased(), path: path)
        invariant(named == operation, "\(path) disagrees with the answer \(String(describing: operation))")
    }
}

extension String {
    var trimmingSuffixSpaces: Substring {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
