import TokendCore

/// An `invalid_arguments` body as a region's server sends it, read back by a front door that
/// relays a region's refusal in its own terms.
struct ArgumentRefusal: Decodable {
    struct Detail: Decodable {
        let argumentName: String
        let reason: String
        let helpMessage: String

        enum CodingKeys: String, CodingKey {
            case argumentName = "argument_name"
            case reason
            case helpMessage = "help_message"
        }
    }

    let details: [Detail]

    var problems: [ArgumentProblem] {
        details.map { ArgumentProblem($0.argumentName, ArgumentProblem.Reason(rawValue: $0.reason) ?? .unknown, $0.helpMessage) }
    }
}
