import GRDB
import TokendCore

/// How an audit-trail entry is written, in the same transaction as the change it records.
extension ActivityRecord {
    var insertArguments: StatementArguments {
        [
            at.microsecondsSinceEpoch, kind.rawValue, tokenID?.rawValue, projectID?.rawValue, actor, requestID, count, reason,
            actorEmail, details?.json,
        ]
    }
    static let insertSQL =
        "INSERT INTO activity (at, kind, token_id, project_id, actor, request_id, count, reason, actor_email, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
}
