import TokendCore

/// The portal's bodies, fields in the order xScaler's pages print them (docs/portal.md).
extension JSONWriter {
    /// `extended` (`Prefer: tokend-extensions`): also the tenant's project, the id its keys
    /// carry in the Cockpit face.
    mutating func tenant(_ tenant: Tenant, hosts: RegionHosts, extended: Bool = false) {
        object { json in
            json.field("id", tenant.id.rawValue)
            json.field("display_name", tenant.displayName)
            json.field("environment", tenant.environment)
            json.field("region", tenant.region.rawValue)
            json.field("metrics_host", hosts.metrics)
            json.field("logs_host", hosts.logs)
            json.field("traces_host", hosts.traces)
            json.field("created_at", tenant.createdAt.rfc3339Seconds)
            json.field("status", tenant.status.rawValue)
            if extended {
                json.field("project_id", tenant.projectID.rawValue)
                json.field("created_at_us", Int(tenant.createdAt.microsecondsSinceEpoch))
            }
        }
    }

    /// A key; `secret` (the `key` field) only in the create and rotate answers.
    mutating func key(_ key: TenantKey, secret: String? = nil, extended: Bool = false) {
        object { json in
            json.field("id", key.id.rawValue)
            json.field("display_name", key.token.name.rawValue)
            json.field("prefix", key.token.secretPrefix)
            json.field("scope", key.scope?.rawValue)
            json.field("status", key.status)
            json.field("last_used_at", key.token.lastUsedAt?.rfc3339Seconds)
            json.field("created_at", key.token.createdAt.rfc3339Seconds)
            json.field("revoked_at", key.revokedAt?.rfc3339Seconds)
            if let secret { json.field("key", secret) }
            if extended { json.field("project_id", key.token.projectID.rawValue) }
        }
    }

    mutating func member(_ member: PortalMember) {
        object { json in
            json.field("id", member.id)
            json.field("organization_id", member.organization.rawValue)
            json.field("email", member.email)
            json.field("role", member.role.rawValue)
        }
    }

    /// `name` is the `/api/portal/org/me` spelling's field for the display name.
    mutating func organization(_ organization: Organization, withName: Bool = false) {
        object { json in
            json.field("id", organization.id.rawValue)
            json.field("slug", organization.slug.rawValue)
            json.field("display_name", organization.displayName)
            if withName { json.field("name", organization.displayName) }
        }
    }

    /// `extended`: also the event's exact place in the activity of all regions (`cursor`),
    /// which a gateway merges by.
    mutating func event(_ event: TenantEvent, extended: Bool = false) {
        let record = event.event.record
        let target = record.tokenID.map { KeyID($0).rawValue } ?? event.tenantID.rawValue
        object { json in
            json.field("id", "evt_\(event.event.region.secretHint)_\(event.event.id)")
            json.field("type", record.kind.rawValue)
            json.field("timestamp", record.at.rfc3339Seconds)
            json.key("actor")
            if let email = record.actorEmail {
                json.object { json in json.field("email", email) }
            } else if let prefix = record.actor {
                json.object { json in json.field("key_prefix", prefix) }
            } else {
                json.string(nil)
            }
            json.field("tenant_id", event.tenantID.rawValue)
            json.field("target", target)
            json.field("result", "success")
            json.field("summary", record.kind.summary(target: target, name: record.details?.metadata["display_name"]))
            json.key("metadata")
            json.stringMap(record.details?.metadata ?? [:])
            json.key("before")
            json.optionalStringMap(record.details?.before)
            json.key("after")
            json.optionalStringMap(record.details?.after)
            if extended {
                json.field("cursor", event.cursor.text)
                json.field("token_id", record.tokenID?.rawValue)
                json.field("project_id", record.projectID?.rawValue)
                json.field("actor_key_prefix", record.actor)
            }
        }
    }

    mutating func usage(_ usage: TenantUsage) {
        object { json in
            json.field("tenant_id", usage.tenantID.rawValue)
            // What only the backend knows: documented zeros, never invented numbers.
            for name: StaticString in ["active_series", "samples_per_second", "dpm", "scrape_interval_seconds"] { json.field(name, 0) }
            json.field("api_keys", usage.apiKeys)
            for name: StaticString in [
                "query_qps", "query_avg_latency_ms", "query_error_rate", "logs_bytes_per_sec", "logs_bytes_stored", "storage_bytes",
            ] {
                json.field(name, 0)
            }
            json.field("updated_at", usage.updatedAt.rfc3339Seconds)
            json.field("verified_writes", Int(usage.traffic.writes))
            json.field("verified_reads", Int(usage.traffic.reads))
            json.field("bytes_pushed", Int(usage.traffic.bytesPushed))
            json.field("last_used_at", usage.lastUsedAt?.rfc3339Seconds)
        }
    }

    mutating func summary(_ summary: OrganizationSummary, extended: Bool = false) {
        object { json in
            json.field("billing_plan", summary.plan.id)
            json.field("org_active_series", 0)
            json.key("plan_max_active_series")
            if let maximum = summary.plan.maximumActiveSeries { json.integer(maximum) } else { json.string(nil) }
            json.key("org_logs_gb_ingested_this_month")
            json.number(Double(summary.logBytesPushedThisMonth) / 1_000_000_000)
            json.field("tenants", summary.tenants)
            json.key("plan_max_tenants")
            if let maximum = summary.plan.maximumTenants { json.integer(maximum) } else { json.string(nil) }
            if extended { json.field("logs_bytes_pushed_this_month", Int(summary.logBytesPushedThisMonth)) }
        }
    }

    private mutating func stringMap(_ values: [String: String]) {
        object { json in for key in values.keys.sorted() { json.field(named: key, values[key]) } }
    }

    private mutating func optionalStringMap(_ values: [String: String]?) {
        if let values { stringMap(values) } else { string(nil) }
    }
}

/// Where a region's tenants send their data: `<edge>.m|l|t.<base domain>`, from the region's file.
package struct RegionHosts: Sendable, Hashable {
    package let metrics: String
    package let logs: String
    package let traces: String

    package init(edge: String, baseDomain: String) {
        self.metrics = "\(edge).m.\(baseDomain)"
        self.logs = "\(edge).l.\(baseDomain)"
        self.traces = "\(edge).t.\(baseDomain)"
    }
}
