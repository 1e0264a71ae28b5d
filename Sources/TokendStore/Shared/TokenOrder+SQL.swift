import TokendCore

/// Each order as SQL; the store keeps an index for each (see the migrations).
extension TokenOrder {
    var sql: String {
        switch self {
        case .createdAtAsc: "created_at ASC, id ASC"
        case .createdAtDesc: "created_at DESC, id DESC"
        case .nameAsc: "name ASC, id ASC"
        case .nameDesc: "name DESC, id DESC"
        }
    }
}
