import Foundation
import HTTPTypes
import Hummingbird
import TokendCore

/// Snapshots of every region's state, open mode only:
///
///     POST   /_tokend/snapshots                 {"name": "seeded", "region"?: "fr-par"}  save
///     GET    /_tokend/snapshots                 the saved ones
///     POST   /_tokend/snapshots/{name}/restore  {"region"?: …}                           bring it back
///     GET    /_tokend/snapshots/{name}          download it as one file
///     PUT    /_tokend/snapshots/{name}          upload such a file
///     DELETE /_tokend/snapshots/{name}
///
/// and, for a gateway's snapshots of its regions, `GET` / `PUT /_tokend/state?region=`.
struct SnapshotEndpoints {
    let frontDoor: FrontDoor

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.post("/_tokend/snapshots", use: save)
        router.get("/_tokend/snapshots", use: list)
        router.get("/_tokend/snapshots/:name", use: download)
        router.put("/_tokend/snapshots/:name", use: upload)
        router.delete("/_tokend/snapshots/:name", use: remove)
        router.post("/_tokend/snapshots/:name/restore", use: restore)
        router.get("/_tokend/state", use: exportState)
        router.put("/_tokend/state", use: importState)
    }

    @Sendable func save(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let snapshots = try openMode().snapshots
        let fields = try PortalBody.object(try await request.jsonBody(), known: ["name", "region"])
        let name = try Snapshots.checkName(try PortalBody.requiredString(fields, "name"))
        let backends = try frontDoor.backends(named: try PortalBody.optionalString(fields, "region"))
        var images: [RegionName: [UInt8]] = [:]
        for backend in backends { images[backend.region] = try await backend.exportState() }
        let snapshot = Snapshots.Snapshot(name: name, createdAt: .now(), images: images)
        snapshots.keep(snapshot)
        context.logger.notice(
            "snapshot saved", metadata: ["name": "\(name)", "regions": "\(images.keys.sorted())", "bytes": "\(snapshot.bytes)"])
        return describe(snapshot, status: .created)
    }

    @Sendable func list(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let snapshots = try openMode().snapshots
        var json = JSONWriter()
        json.object { json in
            json.key("snapshots")
            json.array(snapshots.all) { json, snapshot in json.snapshotSummary(snapshot) }
        }
        return .json(json)
    }

    @Sendable func restore(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let snapshot = try openMode().snapshots.snapshot(named: try context.parameters.require("name"))
        let fields = try PortalBody.object(try await request.optionalJSONBody(), known: ["region"])
        let regions = try frontDoor.backends(named: try PortalBody.optionalString(fields, "region")).map(\.region).filter {
            snapshot.images[$0] != nil
        }
        // All or nothing: each region's state is kept first, and put back if a later one refuses its image.
        var before: [(RegionName, [UInt8])] = []
        for region in regions { before.append((region, try await frontDoor.backends[region]!.exportState())) }
        var restored: [RegionName] = []
        do {
            for region in regions {
                try await frontDoor.backends[region]!.importState(snapshot.images[region]!)
                restored.append(region)
            }
        } catch {
            for (region, image) in before where restored.contains(region) {
                do {
                    try await frontDoor.backends[region]!.importState(image)
                } catch let rollback {
                    context.logger.error("snapshot restore could not be undone", metadata: ["region": "\(region)", "error": "\(rollback)"])
                }
            }
            throw error
        }
        frontDoor.portal?.portal.forgetDirectory()
        context.logger.notice("snapshot restored", metadata: ["name": "\(snapshot.name)", "regions": "\(regions)"])
        var json = JSONWriter()
        json.object { json in
            json.field("name", snapshot.name)
            json.key("restored")
            json.array(regions) { json, region in json.string(region.rawValue) }
        }
        return .json(json)
    }

    @Sendable func download(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let snapshot = try openMode().snapshots.snapshot(named: try context.parameters.require("name"))
        var response = Response.json(Snapshots.file(snapshot))
        response.headers[.contentDisposition] = "attachment; filename=\"\(snapshot.name).tokend-snapshot.json\""
        return response
    }

    @Sendable func upload(_ request: Request, context: TokendRequestContext) async throws -> Response {
        let snapshots = try openMode().snapshots
        let name = try Snapshots.checkName(try context.parameters.require("name"))
        let body = try await request.body.collect(upTo: Snapshots.maximumBytes)
        let snapshot = try Snapshots.read(
            file: Array(body.readableBytesView), name: name, served: Set(frontDoor.servedRegions), at: .now())
        snapshots.keep(snapshot)
        context.logger.notice("snapshot uploaded", metadata: ["name": "\(name)", "bytes": "\(snapshot.bytes)"])
        return describe(snapshot, status: .created)
    }

    @Sendable func remove(_ request: Request, context: TokendRequestContext) async throws -> Response {
        try openMode().snapshots.remove(try context.parameters.require("name"))
        return .noContent
    }

    /// One region's state, for a gateway saving a snapshot of it.
    @Sendable func exportState(_ request: Request, context: TokendRequestContext) async throws -> Response {
        _ = try openMode()
        let backend = try frontDoor.backend(named: try regionArgument(request))
        var json = JSONWriter()
        json.regionState(backend.region, image: try await backend.exportState())
        return .json(json)
    }

    @Sendable func importState(_ request: Request, context: TokendRequestContext) async throws -> Response {
        _ = try openMode()
        let backend = try frontDoor.backend(named: try regionArgument(request))
        let body = try await request.body.collect(upTo: Snapshots.maximumBytes)
        guard let state = try? JSONDecoder().decode(RegionState.self, from: Data(buffer: body)), state.region == backend.region.rawValue,
            let image = Data(base64Encoded: state.image)
        else {
            throw TokendError.invalidArgument(
                "body", .format, "a region state is {\"region\": \"\(backend.region)\", \"image\": \"<base64>\"}")
        }
        try await backend.importState(Array(image))
        frontDoor.portal?.portal.forgetDirectory()
        return .json(#"{"imported":true}"#)
    }

    private func regionArgument(_ request: Request) throws(TokendError) -> String {
        guard let name = request.uri.queryParameters["region"] else { throw .invalidArgument("region", .required, "region is required") }
        return String(name)
    }

    private func openMode() throws(TokendError) -> FakeCloud {
        guard let fakeCloud = frontDoor.fakeCloud else {
            throw .permissionsDenied(action: "snapshots", resource: "this server (test endpoints are served in open mode only)")
        }
        return fakeCloud
    }

    private func describe(_ snapshot: Snapshots.Snapshot, status: HTTPResponse.Status) -> Response {
        var json = JSONWriter()
        json.snapshotSummary(snapshot)
        return .json(json, status: status)
    }
}

extension JSONWriter {
    mutating func snapshotSummary(_ snapshot: Snapshots.Snapshot) {
        object { json in
            json.field("name", snapshot.name)
            json.field("created_at", snapshot.createdAt.rfc3339)
            json.key("regions")
            json.array(snapshot.images.keys.sorted()) { json, region in json.string(region.rawValue) }
            json.field("bytes", snapshot.bytes)
        }
    }
}
