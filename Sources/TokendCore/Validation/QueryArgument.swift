/// Reading query arguments: empty values count as absent (the Go SDK sends `project_id=`
/// when unset); a single-valued argument given twice is refused rather than guessed at.
package enum QueryArgument {
    package static func single(_ values: [String], _ name: String) throws(TokendError) -> String? {
        let given = values.filter { !$0.isEmpty }
        guard given.count <= 1 else {
            throw .invalidArgument(name, .constraint, "\(name) was given \(given.count) times; give it once")
        }
        return given.first
    }

    static func integer(_ text: String, _ name: String, in range: ClosedRange<Int>, help: String) throws(TokendError) -> Int {
        guard let value = Int(text) else { throw .invalidArgument(name, .format, help) }
        guard range.contains(value) else { throw .invalidArgument(name, .constraint, help) }
        return value
    }

    /// An optional id argument, like `project_id` or `token_id`.
    package static func id<ID: UUIDIdentifier>(_ values: [String], _ name: String, as _: ID.Type = ID.self) throws(TokendError) -> ID? {
        try single(values, name).map { text throws(TokendError) in try ID.parse(text, argument: name) }
    }

    /// Narrows what a caller may see to one asked-for project, if it may see that one.
    package static func projects(_ projectID: ProjectID?, within access: ProjectAccess) throws(TokendError) -> ProjectAccess {
        guard let projectID else { return access }
        guard access.allows(projectID) else { throw .permissionsDenied(action: "read", resource: "project \(projectID)") }
        return .only([projectID])
    }
}
