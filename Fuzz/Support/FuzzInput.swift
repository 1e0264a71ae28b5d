/// The bytes libFuzzer hands a target, and the ways the targets read them.
package struct FuzzInput {
    package let bytes: [UInt8]

    package init(_ start: UnsafeRawPointer?, _ count: Int) {
        bytes = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    }

    package init(bytes: [UInt8]) { self.bytes = bytes }

    /// The bytes as text, invalid UTF-8 replaced: how a header or a query reaches a parser
    /// (the HTTP layer hands over Strings).
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The input cut at each newline: one field per line, for targets that read several
    /// values (headers) at once. Lines past `count` stay in the last field.
    package func lines(_ count: Int) -> [String] {
        bytes.split(separator: UInt8(ascii: "\n"), maxSplits: count - 1, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }
}
