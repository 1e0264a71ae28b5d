import Hummingbird
import TokendCore

/// The four Cockpit v1 token endpoints of one region, thin over `RegionTokenService`:
/// read the request, authenticate, call the service, write the answer.
struct TokensController {
    let service: RegionTokenService
    let access: ManagementAccess

    func addRoutes(to router: Router<TokendRequestContext>) {
        let path = RouterPath("/cockpit/v1/regions/\(service.region)/tokens")
        router.get(path, use: list)
        router.post(path, use: create)
        router.get(path.appendingPath(":token_id"), use: get)
        router.delete(path.appendingPath(":token_id"), use: delete)
    }

    @Sendable func create(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try access.authenticate(key: request.headers[.authToken])
        let body = try await request.jsonBody()
        let issued = try await service.create(try CreateTokenRequest.parse(body: body), by: caller)
        context.logger.info("token created", metadata: [
            "token_id": "\(issued.token.id)", "project_id": "\(issued.token.projectID)", "actor": "\(caller.keyPrefix)",
        ])
        var json = JSONWriter()
        json.token(issued.token, secret: issued.secret)
        return .json(json.text)
    }

    @Sendable func get(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try access.authenticate(key: request.headers[.authToken])
        let token = try await service.token(id: try context.parameters.require("token_id"), by: caller)
        var json = JSONWriter()
        json.token(token)
        return .json(json.text)
    }

    @Sendable func list(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try access.authenticate(key: request.headers[.authToken])
        let query = request.uri.queryParameters
        var arguments = ListArguments()
        arguments.projectID = query[values: "project_id"].map(String.init)
        arguments.tokenScopes = query[values: "token_scopes"].map(String.init)
        arguments.page = query[values: "page"].map(String.init)
        arguments.pageSize = query[values: "page_size"].map(String.init)
        arguments.orderBy = query[values: "order_by"].map(String.init)
        let page = try await service.list(arguments, by: caller)
        var json = JSONWriter()
        json.tokenPage(page)
        return .json(json.text)
    }

    @Sendable func delete(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let caller = try access.authenticate(key: request.headers[.authToken])
        let token = try await service.delete(id: try context.parameters.require("token_id"), by: caller)
        context.logger.info("token deleted", metadata: [
            "token_id": "\(token.id)", "project_id": "\(token.projectID)", "actor": "\(caller.keyPrefix)",
        ])
        return .noContent
    }
}
