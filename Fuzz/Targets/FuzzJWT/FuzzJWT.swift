import Crypto
import Foundation
import TokendCore
import TokendFuzzSupport
import TokendHTTP

/// The portal's sign-in tokens as PortalSessions verifies them. The first byte picks how the
/// rest is read: 0, a token as it is; 1, a JOSE header and a claims set (one line each)
/// signed with the portal's key, so that the claims are reached past the signature; 2, the
/// same signed with another key.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    invariant(issuedTokenVerifies, "a token the portal issued does not verify")
    guard let mode = input.bytes.first else { return 0 }
    let rest = FuzzInput(bytes: Array(input.bytes.dropFirst()))
    switch mode % 3 {
    case 0: check(token: rest.text, signedBy: nil)
    case 1: check(token: signed(rest.lines(2), with: portalKey), signedBy: portalKey)
    default: check(token: signed(rest.lines(2), with: otherKey), signedBy: otherKey)
    }
    return 0
}

let portalKey = Array("tokend fuzzing: the portal's key!".utf8)
let otherKey = Array("tokend fuzzing: somebody's other".utf8)
/// 2026-12-02T00:00:00Z, the portal clock the tokens are checked against.
let now = Timestamp(microsecondsSinceEpoch: 1_796_169_600_000_000)
let sessions = PortalSessions(keyBytes: portalKey, clock: FixedTime(time: now))

/// Checked once, on the first input: what the portal issues, it accepts as the same user.
let issuedTokenVerifies: Bool = waitFor {
    let user = PortalUser(
        email: "ops@example.com", role: .admin, organization: Organization(displayName: "Fuzz", plan: .free), password: nil)
    guard let token = try? await sessions.issue(for: user), let session = try? await sessions.verify(token) else { return false }
    return session.email == user.email && session.organization == user.organization.id && session.role == user.role
}

struct FixedTime: TimeSource {
    let time: Timestamp
    func now() -> Timestamp { time }
}

/// `header.claims.signature`, each part base64url without padding.
func signed(_ parts: [String], with key: [UInt8]) -> String {
    let input = parts.prefix(2).map { base64URL(Array($0.utf8)) }.joined(separator: ".")
    let signature = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: key))
    return input + "." + base64URL(Array(signature))
}

func base64URL(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
}
