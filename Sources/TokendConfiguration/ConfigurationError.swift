/// A configuration file or flag that cannot be used: the message names the file and what
/// is wrong with it, so the server refuses to start with a reason a person can act on.
package struct ConfigurationError: Error, CustomStringConvertible {
    package let description: String

    package init(_ description: String) { self.description = description }
}
