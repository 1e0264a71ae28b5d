import Crypto
import Foundation
import JWTKit
import TokendCore

/// The portal's sign-in tokens: HS256 JWTs of 30 minutes (as xScaler documents them), with
/// `sub` the organisation id, `email`, `org_id`, `role`, `iat` and `exp`. Signed and checked
/// by jwt-kit; the expiry is checked against the portal's clock, so a test that moves the
/// clock moves sign-ins too.
package struct PortalSessions: Sendable {
    package static let lifetimeSeconds = 30 * 60
    package static let minimumKeyBytes = 32

    /// jwt-kit's key collection is an actor, filled asynchronously: made once, awaited by each use.
    private let keys: Task<JWTKeyCollection, Never>
    private let clock: any TimeSource

    package init(keyBytes: [UInt8], clock: any TimeSource = SystemTimeSource()) {
        let key = HMACKey(key: SymmetricKey(data: keyBytes))
        self.keys = Task { await JWTKeyCollection().add(hmac: key, digestAlgorithm: .sha256) }
        self.clock = clock
    }

    struct Claims: JWTPayload {
        let sub: SubjectClaim
        let email: String
        let org_id: String
        let role: String
        let iat: IssuedAtClaim
        let exp: ExpirationClaim

        /// The signature is jwt-kit's to check; the expiry is checked after, on the portal's clock.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// A token for a user who just signed in.
    package func issue(for user: PortalUser) async throws -> String {
        let now = clock.now()
        let seconds = Double(now.microsecondsSinceEpoch / 1_000_000)
        return try await keys.value.sign(
            Claims(
                sub: SubjectClaim(value: user.organization.id.rawValue), email: user.email, org_id: user.organization.id.rawValue,
                role: user.role.rawValue, iat: IssuedAtClaim(value: Date(timeIntervalSince1970: seconds)),
                exp: ExpirationClaim(value: Date(timeIntervalSince1970: seconds + Double(Self.lifetimeSeconds)))))
    }

    /// The claims of a token we signed that has not expired; anything else is 401.
    package func verify(_ token: String) async throws(TokendError) -> (email: String, organization: OrganizationID, role: PortalRole) {
        // jwt-kit checks the signature with the one key it holds whatever `alg` says; only
        // what we issue is accepted, so a header naming another algorithm is refused first.
        guard Self.algorithm(of: token) == "HS256" else { throw .authenticationDenied(method: .jwt, reason: .invalidArgument) }
        let claims: Claims
        do {
            claims = try await keys.value.verify(token, as: Claims.self)
        } catch {
            throw .authenticationDenied(method: .jwt, reason: .invalidArgument)
        }
        let now = Double(clock.now().microsecondsSinceEpoch) / 1_000_000
        guard claims.exp.value.timeIntervalSince1970 > now else { throw .authenticationDenied(method: .jwt, reason: .expired) }
        guard let organization = OrganizationID(claims.org_id), claims.sub.value == claims.org_id,
            let role = PortalRole(rawValue: claims.role)
        else { throw .authenticationDenied(method: .jwt, reason: .invalidArgument) }
        return (claims.email, organization, role)
    }

    /// The `alg` of a token's header (its first, base64url segment), unverified.
    private static func algorithm(of token: String) -> String? {
        guard let segment = token.split(separator: ".", omittingEmptySubsequences: false).first, segment.utf8.count <= 1024 else {
            return nil
        }
        var base64 = String(segment).replacing("-", with: "+").replacing("_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        // Read as a request body is (JSONShape): only JSON, and one `alg`. Decoding to a
        // dictionary of lenient values let a header that was not JSON at all through (a raw
        // control character in another field, found by FuzzJWT).
        guard let data = Data(base64Encoded: base64), case .object(let header)? = try? JSONShape.decode(Array(data)),
            case .string(let algorithm)? = header["alg"]
        else { return nil }
        return algorithm
    }
}
