/// The `X-Scope-OrgID` of a data-plane request, checked by Mimir's rules: at most 150
/// bytes of letters, digits and `!-_.*'()`, not `.` or `..`, not `__mimir_cluster`.
/// Several tenants joined by `|` ask for a federated query.
package enum TenantIDs {
    package static func parse(_ header: String?) throws(TokendError) -> [String] {
        guard let header, !header.isEmpty else {
            throw .invalidArgument("X-Scope-OrgID", .required, "the X-Scope-OrgID header (the tenant: the token's project id) is required")
        }
        let tenants = header.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard tenants.allSatisfy(isValid) else {
            throw .invalidArgument(
                "X-Scope-OrgID", .format,
                "each tenant id is at most 150 bytes of letters, digits and !-_.*'() (not '.', '..' or '__mimir_cluster')")
        }
        return tenants
    }

    static func isValid(_ tenant: String) -> Bool {
        (1...150).contains(tenant.utf8.count) && tenant != "." && tenant != ".." && tenant != "__mimir_cluster"
            && tenant.utf8.allSatisfy(isAllowed)
    }

    /// Letters, digits and `!-_.*'()`: Mimir's, Loki's and Tempo's tenant id alphabet.
    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: "'"),
            UInt8(ascii: "("), UInt8(ascii: ")"):
            true
        default: false
        }
    }
}
