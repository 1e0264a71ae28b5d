import HummingbirdCore
import TokendCore
import TokendFuzzSupport

/// Query strings as Hummingbird splits and decodes them, read by Cockpit's token list and
/// activity list and by the portal's activity list.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let query = URI("/tokens?" + FuzzInput(start, count).text).queryParameters
    func values(_ name: Substring) -> [String] { query[values: name].map(String.init) }
    checkTokenList(values)
    checkActivityList(values)
    checkPortalActivity(values)
    return 0
}

/// The one project a restricted caller may see, for the permission checks.
let visibleProject = ProjectID("11111111-2222-4333-8444-555555555555")!

/// What a parser that validates a query must hold: a refusal names arguments (or denies a
/// project the caller may not see); what it accepts, written back as arguments, reads again
/// as the same query.
func checkQuery<Parsed: Equatable>(
    _ name: String, arguments: Set<String>, parse: () throws(TokendError) -> Parsed, writtenBack: (Parsed) throws(TokendError) -> Parsed
) -> Parsed? {
    let parsed: Parsed
    do {
        parsed = try parse()
    } catch {
        if case .permissionsDenied = error { return nil }
        expectArgumentRefusal(error, naming: arguments, name)
        return nil
    }
    do {
        let again = try writtenBack(parsed)
        invariant(again == parsed, "\(name): \(parsed) written back reads as \(again)")
    } catch {
        impossible("\(name): \(parsed) written back is refused: \(error)")
    }
    return parsed
}

func checkPaging(_ paging: Paging, _ name: String) {
    invariant(paging.page >= 1 && Paging.pageSizeRange.contains(paging.pageSize), "\(name): accepted \(paging)")
    let (_, overflow) = (paging.page - 1).multipliedReportingOverflow(by: paging.pageSize)
    invariant((paging.offset == nil) == overflow, "\(name): \(paging) has the offset \(String(describing: paging.offset))")
}

extension Paging {
    var asArguments: (page: [String], pageSize: [String]) { ([String(page)], [String(pageSize)]) }
}
