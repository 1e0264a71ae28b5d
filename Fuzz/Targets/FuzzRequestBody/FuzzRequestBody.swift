import TokendCore
import TokendFuzzSupport
import TokendHTTP

/// The request body reader (`JSONReader`, checked against Foundation's decoder) and every
/// parser of a JSON body behind it: one input is read as each endpoint's body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    // An empty body is no body: the endpoints whose body is optional take nil.
    let body: JSONValue?
    if input.bytes.isEmpty {
        body = nil
    } else {
        let outcome = Result { () throws(TokendError) in try JSONShape.decode(input.bytes) }
        compareWithFoundation(input.bytes, outcome)
        switch outcome {
        case .success(let value):
            body = value
        case .failure(let error):
            expectArgumentRefusal(error, naming: ["body"], "the body reader")
            return 0
        }
    }
    if let body {
        invariant(body.depth <= 32, "the reader accepted a body nesting \(body.depth) deep")
        invariant(reread(body) == body, "the body re-serialised reads back differently")
    }
    checkTokenBodies(body)
    checkPortalBodies(body)
    checkOperatorBodies(body)
    return 0
}

/// A value written back as JSON and read again by the body reader, which must take it.
func reread(_ value: JSONValue) -> JSONValue {
    let text = value.canonicalText
    do {
        return try JSONShape.decode(text)
    } catch {
        impossible("the reader refuses a body it wrote back: \(String(decoding: text.prefix(200), as: UTF8.self)): \(error)")
    }
}

/// One endpoint's parser: a refusal is `invalid_arguments`; what it accepts, written back as a
/// body, is read again as the same value.
func checkBody<Parsed: Equatable>(
    _ name: String, _ body: JSONValue?, arguments: Set<String>? = nil,
    parse: (JSONValue?) throws(TokendError) -> Parsed, written: (Parsed) -> JSONValue, accepted check: (Parsed) -> Void = { _ in }
) {
    let parsed: Parsed
    do {
        parsed = try parse(body)
    } catch {
        expectArgumentRefusal(error, naming: arguments, name)
        return
    }
    check(parsed)
    let rewritten = reread(written(parsed))
    do {
        let again = try parse(rewritten)
        invariant(again == parsed, "\(name): \(parsed) written back reads as \(again)")
    } catch {
        impossible("\(name): \(parsed) written back is refused: \(error)")
    }
}

/// An object of the fields that are present.
func object(_ fields: [String: JSONValue?]) -> JSONValue {
    .object(fields.compactMapValues { $0 })
}
