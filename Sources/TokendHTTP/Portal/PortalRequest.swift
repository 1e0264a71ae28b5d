import HTTPTypes
import Hummingbird
import TokendCore

/// What a portal request asks beyond its path and body.
enum PortalRequest {
    /// `X-Tokend-Region`: a gateway asking this server about one of its regions only.
    static func region(of request: Request) throws(TokendError) -> RegionName? {
        guard let name = request.headers[.tokendRegion] else { return nil }
        guard let region = RegionName(name) else {
            throw .invalidArgument("X-Tokend-Region", .format, "X-Tokend-Region must be a region name like fr-par")
        }
        return region
    }

    /// `Prefer: tokend-extensions`, as for Cockpit answers: fields beyond xScaler's own.
    static func wantsExtensions(_ request: Request) -> Bool {
        TokenFields.isAsked(in: request)
    }
}
