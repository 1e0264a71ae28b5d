import HTTPTypes
import TokendCore

/// Where a region's endpoints live: under `/cockpit/v1/regions/<region>`, by the methods
/// the API uses.
enum RegionPaths {
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    static func root(of region: String) -> String { "/cockpit/v1/regions/\(region)" }
}
