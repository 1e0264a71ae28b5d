import Foundation
import Hummingbird
import TokendCore

/// Files the server hands out as they are, through Hummingbird's `FileMiddleware`: the
/// console (HTML, CSS, JavaScript) at `/console` and the OpenAPI document at
/// `/_tokend/openapi.yaml`. They ship inside the binary's package resources; `--assets-dir`
/// serves them from a folder of the same layout instead, so the console can be edited
/// without a rebuild.
package struct ServedFiles: Sendable {
    let root: URL

    package init(directory: String) { root = URL(fileURLWithPath: directory, isDirectory: true) }

    /// The copy built into the package resources.
    package static var bundled: ServedFiles {
        ServedFiles(directory: Bundle.module.bundleURL.appendingPathComponent("Resources").path)
    }

    /// Answers what no route took under the served paths; anything else passes on as it came.
    func middleware() -> some RouterMiddleware<TokendRequestContext> {
        ServedFilesMiddleware(
            console: Self.files(in: root.appendingPathComponent("console").path, at: "/console", searchForIndexHtml: true),
            // Only the document lives in spec/, so nothing else is served under /_tokend.
            document: Self.files(in: root.appendingPathComponent("spec").path, at: "/_tokend", searchForIndexHtml: false))
    }

    private static func files(
        in folder: String, at basePath: String,
        searchForIndexHtml: Bool
    ) -> FileMiddleware<TokendRequestContext, LocalFileSystem> {
        FileMiddleware(
            folder, urlBasePath: basePath, cacheControl: CacheControl([(MediaType(type: .any), [.noCache])]),
            searchForIndexHtml: searchForIndexHtml
        )
        .withAdditionalMediaTypes(forFileExtensions: [
            // Hummingbird's table names no charset; the console's text is UTF-8.
            "html": MediaType(type: .text, subType: "html", parameter: ("charset", "utf-8")),
            "css": MediaType(type: .text, subType: "css", parameter: ("charset", "utf-8")),
            "js": MediaType(type: .text, subType: "javascript", parameter: ("charset", "utf-8")),
            "yaml": MediaType(type: .application, subType: "yaml"),
        ])
    }
}

/// The console's and the document's `FileMiddleware`s, asked only for their own paths, so
/// every other request (verify and the API among them) passes after two string checks. A served path with
/// a segment that starts with a dot once decoded (`..`, hidden files) is not found: nothing
/// outside the folders, and nothing a folder hides, is ever served, and the answer does not
/// tell which it was (`FileMiddleware` itself would answer `..` with a 400).
private struct ServedFilesMiddleware: RouterMiddleware {
    typealias Context = TokendRequestContext
    let console: FileMiddleware<Context, LocalFileSystem>
    let document: FileMiddleware<Context, LocalFileSystem>

    static let documentPath = "/_tokend/openapi.yaml"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/console") || path == Self.documentPath else { return try await next(request, context) }
        if (path.removingPercentEncoding ?? path).split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            throw TokendError.notFound(resource: "file", resourceID: String(path.prefix(256)))
        }
        return try await console.handle(request, context: context) { request, context in
            try await document.handle(request, context: context, next: next)
        }
    }
}
