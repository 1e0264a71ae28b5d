/// An xScaler tenant: a project of the token core with a name, an organisation, a region
/// and a status. Its keys are the tokens of `projectID`.
package struct Tenant: Sendable, Hashable {
    package enum Status: String, Sendable, Hashable { case active, suspended }

    package let id: TenantID
    /// The tenant's project: its keys' `project_id`, also accepted as its `X-Scope-OrgID`.
    package let projectID: ProjectID
    package let organizationID: OrganizationID
    package var displayName: String
    package var environment: String
    package let region: RegionName
    package let createdAt: Timestamp
    package var status: Status

    package init(
        id: TenantID, projectID: ProjectID, organizationID: OrganizationID, displayName: String, environment: String,
        region: RegionName, createdAt: Timestamp, status: Status = .active
    ) {
        self.id = id
        self.projectID = projectID
        self.organizationID = organizationID
        self.displayName = displayName
        self.environment = environment
        self.region = region
        self.createdAt = createdAt
        self.status = status
    }
}
