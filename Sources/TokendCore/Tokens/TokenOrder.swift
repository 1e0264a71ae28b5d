/// The orders a list can be asked in. Ties are broken by id, so every order is total
/// and pages never overlap or skip while nothing changes.
package enum TokenOrder: String, CaseIterable, Sendable {
    case createdAtAsc = "created_at_asc"
    case createdAtDesc = "created_at_desc"
    case nameAsc = "name_asc"
    case nameDesc = "name_desc"

    package static let `default` = TokenOrder.createdAtAsc
}
