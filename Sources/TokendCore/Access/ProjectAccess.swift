/// Which projects a caller may see: every one, or a fixed set.
package enum ProjectAccess: Sendable, Hashable {
    case all
    case only(Set<ProjectID>)

    package func allows(_ project: ProjectID) -> Bool {
        switch self {
        case .all: true
        case .only(let projects): projects.contains(project)
        }
    }

    /// A caller limited to no project at all: its lists are empty without asking the store.
    package var seesNothing: Bool { if case .only(let projects) = self { projects.isEmpty } else { false } }
}
