import HTTPTypes
import Testing

@testable import TokendHTTP

/// `HTTPFields.value(_:)` reads a field as HTTPTypes' own subscript does, repeats and all.
@Suite struct HTTPFieldValueTests {
    @Test(arguments: [
        [], [("X-Scope-OrgID", "a")], [("x-scope-orgid", "a"), ("X-Scope-OrgID", "b")], [("Authorization", "Bearer x")],
        [("X-Scope-OrgID", ""), ("Authorization", "y"), ("x-SCOPE-orgid", "c|d")],
    ])
    func aFieldReadsAsTheSubscriptReadsIt(fields: [(String, String)]) {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        for name in [HTTPField.Name.scopeOrgID, .authorization, .requestID] {
            #expect(headers.value(name) == headers[name], "\(name)")
        }
    }
}
