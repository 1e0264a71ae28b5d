import Crypto

/// An `Idempotency-Key` on create (extension): a retried create with the same key and body
/// answers the first create's token (without its secret, which was shown once) instead of
/// minting a second; the same key with another body is a 409 `conflict`. Keys are kept for
/// `window` after their first use.
package struct IdempotencyKey: Sendable, Hashable {
    package static let window = 24 * 3600
    package let rawValue: String

    /// 1 to 255 printable ASCII characters, as clients (Stripe-style UUIDs and the like) send them.
    package static func parse(_ text: String?) throws(TokendError) -> IdempotencyKey? {
        guard let text else { return nil }
        guard (1...255).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .invalidArgument("Idempotency-Key", .format, "Idempotency-Key must be 1 to 255 printable ASCII characters")
        }
        return IdempotencyKey(rawValue: text)
    }

    init(rawValue: String) { self.rawValue = rawValue }
}

/// What the store remembers of a key: which request it was used for, and its token.
package struct IdempotencyRecord: Sendable, Hashable {
    package let key: IdempotencyKey
    package let fingerprint: [UInt8]
    package let tokenID: TokenID
    package let createdAt: Timestamp

    package init(key: IdempotencyKey, fingerprint: [UInt8], tokenID: TokenID, createdAt: Timestamp) {
        self.key = key
        self.fingerprint = fingerprint
        self.tokenID = tokenID
        self.createdAt = createdAt
    }
}

extension CreateTokenRequest {
    /// Tells two create bodies apart: the same fingerprint means the same request.
    var fingerprint: [UInt8] {
        let canonical = [
            projectID.rawValue, name?.rawValue ?? "", String(scopes.bitmask),
            expiresAt.map { String($0.microsecondsSinceEpoch) } ?? "",
        ].joined(separator: "\n")
        return Array(SHA256.hash(data: Array(canonical.utf8)))
    }
}

/// A create's answer: a new token with its secret, or the token an earlier create with the
/// same `Idempotency-Key` made (its secret is not shown again).
package enum CreateOutcome: Sendable {
    case created(IssuedToken)
    case replayed(Token)
}
