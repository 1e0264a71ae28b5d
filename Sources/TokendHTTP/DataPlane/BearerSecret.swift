import Hummingbird

/// The secret a data-plane request presents in `Authorization: Bearer <secret>`: read
/// here, at the HTTP edge, so the core's verifier sees only the secret.
enum BearerSecret {
    /// The secret after `Bearer ` (the scheme in any case, extra spaces skipped), or nil.
    static func presented(in request: Request) -> Substring? {
        guard let authorization = request.headers[.authorization], authorization.count > 7,
            authorization.prefix(7).lowercased() == "bearer "
        else { return nil }
        return authorization.dropFirst(7).drop { $0 == " " }
    }
}
