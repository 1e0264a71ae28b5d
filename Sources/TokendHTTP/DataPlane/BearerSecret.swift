import Hummingbird

/// The secret a data-plane request presents in `Authorization: Bearer <secret>`: read
/// here, at the HTTP edge, so the core's verifier sees only the secret.
package enum BearerSecret {
    static func presented(in request: Request) -> Substring? {
        presented(inAuthorization: request.headers.value(.authorization))
    }

    /// The secret after `Bearer ` (the scheme in any case, extra spaces skipped), or nil.
    package static func presented(inAuthorization authorization: String?) -> Substring? {
        guard let authorization else { return nil }
        let scheme: Bool
        if let ascii = asciiScheme(authorization) {
            scheme = ascii
        } else {
            scheme = authorization.count > 7 && authorization.prefix(7).lowercased() == "bearer "
        }
        return scheme ? authorization.dropFirst(7).drop { $0 == " " } : nil
    }

    /// What every client sends, "Bearer " and an ASCII byte after it, answered from the bytes:
    /// counting the header's characters and lowercasing its prefix took a verify 1.4 % of its
    /// CPU each of the three times it reads the header (perf, 2026-12-02). Where the eighth
    /// byte is ASCII the seventh character ends at the seventh byte (no grapheme joins a space
    /// to an ASCII character), so the answer is the characters'. Nil: not decidable from the
    /// bytes alone (non-ASCII there), for the characters to decide.
    private static func asciiScheme(_ authorization: String) -> Bool? {
        var bytes = authorization.utf8.makeIterator()
        var matched = true
        for expected in bearer {
            guard let byte = bytes.next() else { return false }
            guard byte < 0x80 else { return nil }
            let lowered = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
            matched = matched && lowered == expected
        }
        guard let eighth = bytes.next() else { return false }
        return eighth < 0x80 ? matched : nil
    }

    private static let bearer = Array("bearer ".utf8)
}
