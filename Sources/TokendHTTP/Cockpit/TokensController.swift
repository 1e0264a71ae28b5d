import Hummingbird
import Logging
import TokendCore

/// The Cockpit v1 token endpoints of one region, and the extensions (rotate, activity),
/// thin over `RegionTokenService`: read the request, authenticate, call the service, write
/// the answer.
struct TokensController {
    let service: RegionTokenService
    let access: ManagementAccess

    func addRoutes(to router: Router<TokendRequestContext>) {
        let region = RouterPath(RegionPaths.root(of: service.region.rawValue))
        let tokens = region.appendingPath("tokens")
        router.get(tokens, use: list)
        router.post(tokens, use: create)
        router.get(tokens.appendingPath(":token_id"), use: get)
        router.delete(tokens.appendingPath(":token_id"), use: delete)
        router.post(tokens.appendingPath(":token_id/rotate"), use: rotate)
        router.get(region.appendingPath("activity"), use: activity)
    }

    @Sendable func create(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let origin = try authenticate(request, context)
        let key = try IdempotencyKey.parse(request.headers.value(.idempotencyKey))
        let body = try await request.jsonBody()
        switch try await service.create(try CreateTokenRequest.parse(body: body), idempotencyKey: key, by: origin) {
        case .created(let issued):
            log("token created", issued.token, origin, context)
            return tokenAnswer(issued.token, secret: issued.secret, for: request)
        case .replayed(let token):
            var response = tokenAnswer(token, for: request, replayed: true)
            response.headers[.idempotentReplayed] = "true"
            return response
        }
    }

    @Sendable func get(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let origin = try authenticate(request, context)
        return tokenAnswer(try await service.token(id: try context.parameters.require("token_id"), by: origin.principal), for: request)
    }

    @Sendable func list(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let origin = try authenticate(request, context)
        let query = request.uri.queryParameters
        var arguments = ListArguments()
        arguments.projectID = query[values: "project_id"].map(String.init)
        arguments.tokenScopes = query[values: "token_scopes"].map(String.init)
        arguments.page = query[values: "page"].map(String.init)
        arguments.pageSize = query[values: "page_size"].map(String.init)
        arguments.orderBy = query[values: "order_by"].map(String.init)
        let page = try await service.list(arguments, by: origin.principal)
        let fields = TokenFields(request, clock: service.now)
        var json = JSONWriter()
        json.tokenPage(page, fields: fields)
        var response = Response.json(json)
        fields.mark(&response)
        return response
    }

    @Sendable func delete(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let origin = try authenticate(request, context)
        let token = try await service.delete(id: try context.parameters.require("token_id"), by: origin)
        log("token revoked", token, origin, context)
        return .noContent
    }

    @Sendable func rotate(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let origin = try authenticate(request, context)
        let body = try await request.optionalJSONBody()
        let issued = try await service.rotate(
            id: try context.parameters.require("token_id"),
            try RotateTokenRequest.parse(body: body), by: origin)
        log("token rotated", issued.token, origin, context)
        return tokenAnswer(issued.token, secret: issued.secret, for: request)
    }

    @Sendable func activity(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let origin = try authenticate(request, context)
        let query = request.uri.queryParameters
        let page = try await service.activity(
            ActivityQuery.parse(
                projectID: query[values: "project_id"].map(String.init), tokenID: query[values: "token_id"].map(String.init),
                page: query[values: "page"].map(String.init), pageSize: query[values: "page_size"].map(String.init),
                access: origin.principal.projects))
        var json = JSONWriter()
        json.activityPage(page)
        return .json(json)
    }

    private func authenticate(_ request: Request, _ context: TokendRequestContext) throws -> RequestOrigin {
        RequestOrigin(principal: try access.authenticate(key: request.headers.value(.authToken)), requestID: context.requestID)
    }

    private func tokenAnswer(_ token: Token, secret: String? = nil, for request: Request, replayed: Bool = false) -> Response {
        let fields = TokenFields(request, clock: service.now)
        var json = JSONWriter()
        json.token(token, secret: secret, fields: fields, replayed: replayed)
        var response = Response.json(json)
        fields.mark(&response)
        return response
    }

    private func log(_ message: Logger.Message, _ token: Token, _ origin: RequestOrigin, _ context: TokendRequestContext) {
        context.logger.info(
            message,
            metadata: [
                "token_id": "\(token.id)", "project_id": "\(token.projectID)", "actor": "\(origin.principal.keyPrefix)",
            ])
    }
}
