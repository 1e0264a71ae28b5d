import HTTPTypes
import Hummingbird
import Logging
import NIOPosix
import TokendCore

/// xScaler's portal API at the server's root (and again under `/api/portal`), thin over
/// `Portal`: read the request, authenticate the JWT, call the core, write the answer.
struct PortalController {
    let face: PortalFace

    private var portal: Portal { face.portal }

    func addRoutes(to router: Router<TokendRequestContext>) {
        for root in ["", "api/portal"] {
            let group = router.group(RouterPath(root)).add(middleware: PortalErrorMiddleware())
            group.post("auth/login", use: login)
            group.post("auth/signup", use: signup)
            group.post("auth/cognito/exchange", use: identityProviderExchange)
            group.get("org", use: organization)
            group.get("org/members", use: members)
            group.post("org/members/invite", use: invite)
            group.get("tenants", use: listTenants)
            group.post("tenants", use: createTenant)
            group.get("tenants/:tenant_id", use: getTenant)
            group.patch("tenants/:tenant_id", use: updateTenant)
            group.delete("tenants/:tenant_id", use: deleteTenant)
            group.post("tenants/:tenant_id/suspend", use: suspend)
            group.post("tenants/:tenant_id/pause", use: suspend)
            group.post("tenants/:tenant_id/resume", use: resume)
            group.get("tenants/:tenant_id/keys", use: listKeys)
            group.post("tenants/:tenant_id/keys", use: createKey)
            group.get("tenants/:tenant_id/keys/:key_id", use: getKey)
            group.delete("tenants/:tenant_id/keys/:key_id", use: revokeKey)
            group.post("tenants/:tenant_id/keys/:key_id/rotate", use: rotateKey)
            group.get("activity", use: activity)
            group.get("dashboard/org/summary", use: summary)
            group.get("dashboard/tenants/:tenant_id/usage", use: usage)
            group.get("tenants/:tenant_id/dashboard/summary", use: usage)
        }
        router.group("api/portal").add(middleware: PortalErrorMiddleware()).get("org/me", use: organizationWithName)
        // For gateways: which region holds a tenant (no caller needed: verify routes by it).
        router.group("_tokend").add(middleware: PortalErrorMiddleware()).get("tenants/:tenant_id", use: tenantRegion)
    }

    @Sendable func tenantRegion(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (service, id) = try await portal.region(ofTenant: try context.parameters.require("tenant_id"))
        if let only = try PortalRequest.region(of: request), service.region != only {
            throw TokendError.notFound(resource: "tenant", resourceID: id.rawValue)
        }
        var json = JSONWriter()
        json.object { json in
            json.field("tenant_id", id.rawValue)
            json.field("region", service.region.rawValue)
        }
        return .json(json)
    }

    // MARK: Sign-in

    @Sendable func login(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let fields = try Self.credentials(try await request.jsonBody(), known: ["email", "password"])
        return try await signIn(fields, status: .ok, context: context)
    }

    /// Open mode: signs in like login (the organisation is the one configured); keys mode
    /// has no sign-up (users come from the keys file).
    @Sendable func signup(_ request: Request, context: TokendRequestContext) async throws -> Response {
        guard portal.access.isOpen else {
            throw TokendError.permissionsDenied(action: "sign-up", resource: "this portal (its users come from the keys file)")
        }
        let body = try await request.jsonBody()
        let fields = try PortalBody.object(body, known: ["email", "password", "name", "org_name"])
        // The names are the other spelling's; the organisation is the configured one, but they must still be strings.
        for name in ["name", "org_name"] { _ = try PortalBody.optionalString(fields, name) }
        return try await signIn(
            try Self.credentials(body, known: ["email", "password", "name", "org_name"]), status: .created, context: context, withUser: true
        )
    }

    @Sendable func identityProviderExchange(_ request: Request, context: TokendRequestContext) async throws -> Response {
        .json(
            #"{"error":"not_implemented","message":"identity-provider sign-in is not served here: use POST /auth/login"}"#,
            status: .notImplemented)
    }

    private func signIn(
        _ credentials: (email: String, password: String), status: HTTPResponse.Status, context: TokendRequestContext, withUser: Bool = false
    )
        async throws -> Response
    {
        let user: PortalUser
        do {
            // The password's hash (scrypt, ~0.1 s of CPU) runs on NIO's blocking pool, not on an
            // event loop, where it would stall every connection of that loop meanwhile.
            let portal = self.portal
            user = try await NIOThreadPool.singleton.runIfActive {
                try portal.signIn(email: credentials.email, password: credentials.password)
            }
        } catch {
            context.logger.info("portal sign-in refused", metadata: ["email": "\(credentials.email.prefix(254))"])
            throw error
        }
        let token = try await face.sessions.issue(for: user)
        context.logger.info("portal sign-in", metadata: ["email": "\(user.email)", "org_id": "\(user.organization.id)"])
        var json = JSONWriter()
        json.object { json in
            json.field("token", token)
            guard withUser else { return }
            json.key("user")
            json.object { json in
                json.field("email", user.email)
                json.field("role", user.role.rawValue)
            }
            json.key("org")
            json.object { json in
                json.field("name", user.organization.displayName)
                json.field("public_id", user.organization.id.rawValue)
            }
        }
        return .json(json, status: status)
    }

    // MARK: Organisation

    @Sendable func organization(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        var json = JSONWriter()
        json.organization(caller.organization)
        return .json(json)
    }

    @Sendable func organizationWithName(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        var json = JSONWriter()
        json.organization(caller.organization, withName: true)
        return .json(json)
    }

    @Sendable func members(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        var json = JSONWriter()
        json.array(portal.members(by: caller)) { json, member in json.member(member) }
        return .json(json)
    }

    @Sendable func invite(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        try caller.require(.administer)
        let fields = try PortalBody.object(try await request.jsonBody(), known: ["email", "role"])
        let email = try PortalBody.requiredString(fields, "email")
        let roleName = try PortalBody.requiredString(fields, "role")
        guard let role = PortalRole(rawValue: roleName) else {
            throw TokendError.invalidArgument("role", .constraint, "role must be owner, admin, member or viewer")
        }
        let member = try portal.invite(email: email, role: role, by: caller)
        var json = JSONWriter()
        json.member(member)
        return .json(json, status: .created)
    }

    // MARK: Tenants

    @Sendable func listTenants(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        let tenants = try await portal.tenants(by: caller, only: try PortalRequest.region(of: request))
        let extended = PortalRequest.wantsExtensions(request)
        var json = JSONWriter()
        json.array(tenants) { json, tenant in json.tenant(tenant, hosts: face.hosts(of: tenant.region), extended: extended) }
        return .json(json)
    }

    @Sendable func createTenant(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        try caller.require(.write)
        let tenant = try await portal.create(
            try NewTenant.parse(body: try await request.optionalJSONBody()), by: caller, only: try PortalRequest.region(of: request))
        log("tenant created", tenant.id, caller, context)
        return tenantAnswer(tenant, for: request, status: .created)
    }

    @Sendable func getTenant(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        return tenantAnswer(try await service.tenant(id, by: caller), for: request)
    }

    @Sendable func updateTenant(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        try caller.require(.write)
        let change = try TenantChange.parse(body: try await request.jsonBody())
        let tenant = try await service.update(id, change, by: caller)
        log("tenant updated", id, caller, context)
        return tenantAnswer(tenant, for: request)
    }

    @Sendable func deleteTenant(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        try await service.delete(id, by: caller)
        log("tenant deleted", id, caller, context)
        return .noContent
    }

    @Sendable func suspend(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        let tenant = try await service.setSuspended(true, id, by: caller)
        log("tenant suspended", id, caller, context)
        return tenantAnswer(tenant, for: request)
    }

    @Sendable func resume(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        let tenant = try await service.setSuspended(false, id, by: caller)
        log("tenant resumed", id, caller, context)
        return tenantAnswer(tenant, for: request)
    }

    // MARK: Keys

    @Sendable func listKeys(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        let keys = try await service.keys(of: id, by: caller)
        let extended = PortalRequest.wantsExtensions(request)
        var json = JSONWriter()
        json.array(keys) { json, key in json.key(key, extended: extended) }
        return .json(json)
    }

    @Sendable func createKey(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        try caller.require(.write)
        let issued = try await service.createKey(try NewKey.parse(body: try await request.optionalJSONBody()), for: id, by: caller)
        log("api key created", id, caller, context, key: issued.token.id)
        return keyAnswer(TenantKey(token: issued.token), secret: issued.secret, for: request, status: .created)
    }

    @Sendable func getKey(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        return keyAnswer(try await service.key(try context.parameters.require("key_id"), of: id, by: caller), for: request)
    }

    @Sendable func revokeKey(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        try await service.revokeKey(try context.parameters.require("key_id"), of: id, by: caller)
        log("api key revoked", id, caller, context)
        return .noContent
    }

    @Sendable func rotateKey(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        // Rotation takes no options: an empty body or `{}`.
        _ = try PortalBody.object(try await request.optionalJSONBody(), known: [])
        let issued = try await service.rotateKey(try context.parameters.require("key_id"), of: id, by: caller)
        log("api key rotated", id, caller, context, key: issued.token.id)
        return keyAnswer(TenantKey(token: issued.token), secret: issued.secret, for: request)
    }

    // MARK: Activity and usage

    @Sendable func activity(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        let query = try PortalActivityArguments.parse(request.uri.queryParameters, organization: caller.organization.id)
        let (events, next) = try await portal.activity(query, by: caller, only: try PortalRequest.region(of: request))
        let extended = PortalRequest.wantsExtensions(request)
        var json = JSONWriter()
        json.object { json in
            json.key("events")
            json.array(events) { json, event in json.event(event, extended: extended) }
            json.field("next_cursor", next?.text)
        }
        return .json(json)
    }

    @Sendable func summary(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try await authenticate(request, context)
        var json = JSONWriter()
        json.summary(
            try await portal.summary(by: caller, only: try PortalRequest.region(of: request)),
            extended: PortalRequest.wantsExtensions(request))
        return .json(json)
    }

    @Sendable func usage(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let (caller, service, id) = try await tenantRequest(request, context)
        var json = JSONWriter()
        json.usage(try await service.usage(of: id, by: caller))
        return .json(json)
    }

    // MARK: Helpers

    private func authenticate(_ request: Request, _ context: TokendRequestContext) async throws -> PortalCaller {
        try await face.authenticate(request, requestID: context.requestID)
    }

    /// The caller, the tenant's region and its id, for a route under `/tenants/{tenant_id}`.
    private func tenantRequest(_ request: Request, _ context: TokendRequestContext) async throws -> (
        PortalCaller, any TenantRegion, TenantID
    ) {
        let caller = try await authenticate(request, context)
        let (service, id) = try await portal.region(ofTenant: try context.parameters.require("tenant_id"))
        return (caller, service, id)
    }

    private func tenantAnswer(_ tenant: Tenant, for request: Request, status: HTTPResponse.Status = .ok) -> Response {
        var json = JSONWriter()
        json.tenant(tenant, hosts: face.hosts(of: tenant.region), extended: PortalRequest.wantsExtensions(request))
        return .json(json, status: status)
    }

    private func keyAnswer(_ key: TenantKey, secret: String? = nil, for request: Request, status: HTTPResponse.Status = .ok) -> Response {
        var json = JSONWriter()
        json.key(key, secret: secret, extended: PortalRequest.wantsExtensions(request))
        return .json(json, status: status)
    }

    private static func credentials(_ body: JSONValue, known: Set<String>) throws -> (email: String, password: String) {
        let fields = try PortalBody.object(body, known: known)
        return (try PortalBody.requiredString(fields, "email"), try PortalBody.requiredString(fields, "password"))
    }

    private func log(
        _ message: Logger.Message, _ tenant: TenantID, _ caller: PortalCaller, _ context: TokendRequestContext, key: TokenID? = nil
    ) {
        var metadata: Logger.Metadata = ["tenant_id": "\(tenant)", "actor": "\(caller.email)", "org_id": "\(caller.organization.id)"]
        if let key { metadata["key_id"] = "\(KeyID(key))" }
        context.logger.info(message, metadata: metadata)
    }
}
