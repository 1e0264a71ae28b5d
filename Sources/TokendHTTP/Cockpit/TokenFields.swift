import HTTPTypes
import Hummingbird
import TokendCore

/// How much of a token a Cockpit answer shows. By default exactly what the public API sends:
/// its eight fields in its order, nothing else, so a suite that snapshots answers or diffs
/// tokend against the cloud sees no difference. A client that wants tokend's extensions
/// (`secret_prefix`, `expires_at`, `last_used_at`, `status`, `idempotent_replay`) asks with
/// the standard preference header (RFC 7240), and the answer says it was applied:
///
///     Prefer: tokend-extensions          →  Preference-Applied: tokend-extensions
enum TokenFields: Equatable {
    /// The public API's eight fields.
    case cockpit
    /// The eight, then tokend's extensions, `status` as it stands at this time.
    case extended(at: Timestamp)

    static let preference = "tokend-extensions"

    /// `extended` when any `Prefer` header names the preference (case-insensitive, with or
    /// without a value or parameters); `cockpit` otherwise. The clock is read only for
    /// `extended`: a public answer shows nothing that depends on the time.
    init(_ request: Request, clock: () -> Timestamp) {
        self = Self.isAsked(in: request) ? .extended(at: clock()) : .cockpit
    }

    /// Whether any `Prefer` header names `tokend-extensions`: the portal asks it too.
    static func isAsked(in request: Request) -> Bool {
        request.headers[values: .prefer].contains { header in
            header.split(separator: ",").contains { preference in
                let name = preference.prefix { $0 != "=" && $0 != ";" }.trimmingCharacters(in: .whitespaces)
                return name.lowercased() == Self.preference
            }
        }
    }

    /// Says on every token answer that it depends on `Prefer` (RFC 7240 §2), and on one that
    /// applied the preference, that it did.
    func mark(_ response: inout Response) {
        response.headers[.vary] = HTTPField.Name.prefer.rawName
        if case .extended = self { response.headers[.preferenceApplied] = Self.preference }
    }
}
