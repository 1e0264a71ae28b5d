import Foundation
import TokendCore
import TokendFuzzSupport

/// Differential check of the body reader against Foundation, which read every body before it
/// (Foundation is only the oracle here: the server never decodes a body with it):
/// - what the reader takes, `JSONDecoder` reads as the same value; where `JSONDecoder`
///   refuses a number RFC 8259 allows (`0e1`, an underflowing `1e-400`), `JSONSerialization`,
///   Foundation's other parser, must read the same value;
/// - what `JSONDecoder` takes and the reader refuses is a text that is not UTF-8, or one the
///   old pre-scan (`PreScan`) refuses with the very error the reader gave.
func compareWithFoundation(_ bytes: [UInt8], _ outcome: Result<JSONValue, TokendError>) {
    let foundation = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    switch (outcome, foundation) {
    case (.success(let ours), let theirs?):
        invariant(ours == theirs, "the reader and Foundation read different values: \(ours) against \(theirs)")
    case (.success(let ours), nil):
        let other = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        invariant(other.map { ours.matches($0) } == true, "the reader takes what Foundation refuses, as \(ours)")
    case (.failure(let error), _?):
        invariant(isStricterRule(error, bytes), "the reader refuses what Foundation takes: \(error)")
    case (.failure, nil):
        break
    }
}

/// A refusal where the reader is deliberately stricter than Foundation.
private func isStricterRule(_ refusal: TokendError, _ bytes: [UInt8]) -> Bool {
    // Foundation also reads UTF-16 and UTF-32 texts, which RFC 8259 does not allow between systems.
    if String(validating: bytes, as: UTF8.self) == nil || bytes.contains(0) { return true }
    do {
        try PreScan.check(bytes, depthLimit: 32)  // RequestLimits.jsonDepth
        return false
    } catch {
        return error == refusal
    }
}

extension JSONValue {
    /// Whether `JSONSerialization`'s reading of a text is this value (its numbers and booleans
    /// come as NSNumber, so a number is compared by value and a boolean by truth).
    fileprivate func matches(_ other: Any) -> Bool {
        switch self {
        case .null: return other is NSNull
        case .bool(let flag): return (other as? NSNumber)?.boolValue == flag
        case .number(let number):
            guard let other = other as? NSNumber else { return false }
            // Integers too long for 64 bits come as NSDecimalNumber (38 digits), whose Double can
            // be an ulp off the nearest one; the reader's is the nearest.
            if other is NSDecimalNumber { return abs(other.doubleValue - number) <= abs(number) * 1e-15 }
            return other.doubleValue == number
        case .string(let text): return (other as? String) == text
        case .array(let items):
            guard let others = other as? [Any], others.count == items.count else { return false }
            return zip(items, others).allSatisfy { $0.matches($1) }
        case .object(let fields):
            guard let others = other as? [String: Any], others.count == fields.count else { return false }
            return fields.allSatisfy { key, value in others[key].map { value.matches($0) } ?? false }
        }
    }
}
