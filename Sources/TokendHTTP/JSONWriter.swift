/// Writes JSON with fields in the order they are given. The public API's field order is part
/// of the contract (golden bodies compare bytes), and Foundation's encoder does not keep order.
struct JSONWriter {
    private(set) var text = ""
    private var needsComma = false

    init() { text.reserveCapacity(256) }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        text.append("{")
        needsComma = false
        body(&self)
        text.append("}")
        needsComma = true
    }

    mutating func array<Element>(_ elements: some Sequence<Element>, _ write: (inout JSONWriter, Element) -> Void) {
        separate()
        text.append("[")
        needsComma = false
        for element in elements { write(&self, element) }
        text.append("]")
        needsComma = true
    }

    mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        text.append(":")
        needsComma = false
    }

    mutating func string(_ value: String?) {
        separate()
        if let value { appendQuoted(value) } else { text.append("null") }
        needsComma = true
    }

    mutating func integer(_ value: Int) {
        separate()
        text.append(String(value))
        needsComma = true
    }

    mutating func boolean(_ value: Bool) {
        separate()
        text.append(value ? "true" : "false")
        needsComma = true
    }

    mutating func field(_ name: String, _ value: String?) { key(name); string(value) }
    mutating func field(_ name: String, _ value: Int) { key(name); integer(value) }
    mutating func field(_ name: String, _ value: Bool) { key(name); boolean(value) }

    private mutating func separate() {
        if needsComma { text.append(",") }
    }

    private mutating func appendQuoted(_ value: String) {
        text.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text.append("\\\"")
            case "\\": text.append("\\\\")
            case "\n": text.append("\\n")
            case "\r": text.append("\\r")
            case "\t": text.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text.append("\"")
    }
}
