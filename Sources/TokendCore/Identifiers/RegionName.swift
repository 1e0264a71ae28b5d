/// A region's name, like `fr-par`: two lowercase letters, a dash, then 2 to 8 lowercase
/// letters or digits. The fixed shape keeps the region hint inside a secret short and
/// reversible (the dash always sits after the second character).
package struct RegionName: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let rawValue: String

    package init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard (5...11).contains(bytes.count),
            bytes[0].isLowercaseASCIILetter, bytes[1].isLowercaseASCIILetter,
            bytes[2] == UInt8(ascii: "-"),
            bytes[3...].allSatisfy({ $0.isLowercaseASCIILetter || $0.isASCIIDigit })
        else { return nil }
        self.rawValue = String(text)
    }

    /// The region as it appears inside a secret: the name without its dash (`frpar`).
    package var secretHint: String {
        String(rawValue.prefix(2)) + rawValue.dropFirst(3)
    }

    /// The region a secret's hint names, or nil when the hint cannot be one.
    package init?(secretHint: some StringProtocol) {
        guard secretHint.utf8.count >= 4 else { return nil }
        self.init(secretHint.prefix(2) + "-" + secretHint.dropFirst(2))
    }

    package var description: String { rawValue }

    package static func < (lhs: RegionName, rhs: RegionName) -> Bool { lhs.rawValue < rhs.rawValue }

    package static let shapeDescription = "two lowercase letters, a dash, then 2 to 8 lowercase letters or digits (like fr-par)"
}

extension UInt8 {
    var isLowercaseASCIILetter: Bool { self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z") }
    var isUppercaseASCIILetter: Bool { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") }
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}
