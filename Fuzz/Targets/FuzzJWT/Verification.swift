import Foundation
import TokendCore
import TokendFuzzSupport

/// A token is refused as a JWT credential (expired only when its `exp` has passed), or it is
/// one the portal's key signed, whose claims name a known role and one organisation.
func check(token: String, signedBy key: [UInt8]?) {
    let result = waitFor { () -> Result<(email: String, organization: OrganizationID, role: PortalRole), TokendError> in
        do throws(TokendError) {
            return .success(try await sessions.verify(token))
        } catch {
            return .failure(error)
        }
    }
    let claims = claimsSet(of: token)
    switch result {
    case .failure(.authenticationDenied(method: .jwt, reason: .invalidArgument)):
        break
    case .failure(.authenticationDenied(method: .jwt, reason: .expired)):
        invariant(key != otherKey, "a token of another key was refused as expired, past its signature")
        if case .number(let exp)? = claims?["exp"] { invariant(exp <= seconds(now), "a token expiring at \(exp) was refused as expired") }
    case .failure(let error):
        impossible("a token was refused with \(error)")
    case .success(let session):
        invariant(key != otherKey, "a token signed with another key was accepted")
        invariant(algorithm(of: token) == "HS256", "a token whose header is not HS256 was accepted")
        guard let claims else { impossible("a token was accepted without a claims set") }
        guard case .string(let organization)? = claims["org_id"], case .string(let subject)? = claims["sub"],
            case .string(let email)? = claims["email"], case .string(let role)? = claims["role"]
        else { impossible("a token was accepted without its claims: \(claims)") }
        invariant(
            session.organization.rawValue == organization.lowercased() && subject == organization, "org_id \(organization), sub \(subject)")
        invariant(session.email == email && session.role.rawValue == role, "the session \(session) is not the claims \(claims)")
        if case .number(let exp)? = claims["exp"] { invariant(exp > seconds(now), "a token expired at \(exp) was accepted") }
    }
}

func seconds(_ time: Timestamp) -> Double { Double(time.microsecondsSinceEpoch) / 1_000_000 }

func segment(_ token: String, _ index: Int) -> JSONValue? {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard index < parts.count else { return nil }
    var base64 = parts[index].replacing("-", with: "+").replacing("_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
    guard let data = Data(base64Encoded: String(base64)) else { return nil }
    return try? JSONDecoder().decode(JSONValue.self, from: data)
}

func claimsSet(of token: String) -> [String: JSONValue]? {
    guard case .object(let claims)? = segment(token, 1) else { return nil }
    return claims
}

func algorithm(of token: String) -> String? {
    guard case .object(let header)? = segment(token, 0), case .string(let algorithm)? = header["alg"] else { return nil }
    return algorithm
}
