import Foundation
import Hummingbird
import TokendCore

/// Files the server hands out as they are: the console (HTML, CSS, JavaScript) and the
/// OpenAPI document. They ship inside the binary's package resources; `--assets-dir` serves
/// them from a folder instead, so the console can be edited without a rebuild.
public struct ServedFiles: Sendable {
    let root: URL

    public init(directory: String) { root = URL(fileURLWithPath: directory, isDirectory: true) }

    /// The copy built into the package resources.
    public static var bundled: ServedFiles {
        ServedFiles(directory: Bundle.module.bundleURL.appendingPathComponent("Resources").path)
    }

    func addRoutes(to router: Router<TokendRequestContext>) {
        router.get("/console") { _, _ in try serve("console/index.html") }
        router.get("/console/:file") { _, context in
            let name = try context.parameters.require("file")
            // Only plain file names: no way out of the folder.
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }), !name.hasPrefix(".") else {
                throw TokendError.notFound(resource: "file", resourceID: name)
            }
            return try serve("console/" + name)
        }
        router.get("/_tokend/openapi.yaml") { _, _ in try serve("openapi.yaml") }
    }

    private func serve(_ relativePath: String) throws -> Response {
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(relativePath).path) else {
            throw TokendError.notFound(resource: "file", resourceID: relativePath)
        }
        return Response(status: .ok, headers: [.contentType: Self.contentType(of: relativePath), .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "yaml": "application/yaml"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }
}
