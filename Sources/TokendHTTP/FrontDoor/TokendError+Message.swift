import TokendCore

extension TokendError {
    /// The human message of an `unavailable` error (others are not relayed failures).
    var message: String {
        if case .unavailable(_, let message) = self { message } else { "\(self)" }
    }
}
