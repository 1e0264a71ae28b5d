import Foundation
import TokendCore
import TokendFuzzSupport

/// Differential check of the body reader against Foundation's `JSONDecoder`, which read every
/// body before it: what the reader takes, Foundation reads as the same value; what Foundation
/// takes and the reader refuses is one of the reader's stricter rules, each named below.
/// (Foundation is only the oracle here: the server never decodes a body with it.)
func compareWithFoundation(_ bytes: [UInt8], _ outcome: Result<JSONValue, TokendError>) {
    let foundation = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    switch (outcome, foundation) {
    case (.success(let ours), let theirs?):
        invariant(ours == theirs, "the reader and Foundation read different values: \(ours) against \(theirs)")
    case (.success(let ours), nil):
        // JSONDecoder refuses a few numbers RFC 8259 allows ("0e1", and "1e-400", which
        // underflows to 0): Foundation's other parser must then take the text, and JSONDecoder
        // the value written back.
        let other = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        let rewritten = try? JSONDecoder().decode(JSONValue.self, from: Data(ours.canonicalText))
        invariant(other != nil && rewritten == ours, "the reader takes what Foundation refuses, as \(ours)")
    case (.failure(let error), _?):
        invariant(isStricterRule(error, bytes), "the reader refuses what Foundation takes: \(error)")
    case (.failure, nil):
        break
    }
}

/// The refusals where the reader is deliberately stricter than Foundation.
private func isStricterRule(_ error: TokendError, _ bytes: [UInt8]) -> Bool {
    guard case .invalidArguments(let problems) = error, let help = problems.first?.helpMessage else { return false }
    if help.contains("appears twice") || help.contains("comma before a closing bracket") || help.contains("nests deeper") {
        return true
    }
    // Foundation also reads UTF-16 and UTF-32 texts, which RFC 8259 does not allow between systems.
    return String(validating: bytes, as: UTF8.self) == nil || bytes.contains(0)
}
