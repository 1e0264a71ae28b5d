import HTTPTypes

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let authToken = HTTPField.Name("X-Auth-Token")!
    static let scopeOrgID = HTTPField.Name("X-Scope-OrgID")!
    static let tokenID = HTTPField.Name("X-Tokend-Token-Id")!
    static let tokendStatus = HTTPField.Name("X-Tokend-Status")!
    static let tokendOperation = HTTPField.Name("X-Tokend-Operation")!
    static let originalURI = HTTPField.Name("X-Original-URI")!
    static let originalMethod = HTTPField.Name("X-Original-Method")!
    static let originalContentLength = HTTPField.Name("X-Original-Content-Length")!
    static let forwardedURI = HTTPField.Name("X-Forwarded-Uri")!
    static let forwardedMethod = HTTPField.Name("X-Forwarded-Method")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let tokendRegion = HTTPField.Name("X-Tokend-Region")!
    /// Marks, inside the server only, an answer a fault rule drops.
    static let tokendDropped = HTTPField.Name("X-Tokend-Dropped")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!
}

extension HTTPFields {
    /// The value of the field `name`, its repeats joined with ", " as `self[name]` joins them.
    /// That subscript builds an index of every name on its first use and joins a lazily mapped
    /// sequence through unspecialised generics: 4 % of a verify's CPU, which reads eleven
    /// fields (perf). A request carries a handful of fields, so one pass over them is cheaper.
    /// Not for `Cookie`, whose repeats join with "; ".
    func value(_ name: HTTPField.Name) -> String? {
        var value: String?
        for field in self where field.name == name {
            value = value.map { $0 + ", " + field.value } ?? field.value
        }
        return value
    }
}
