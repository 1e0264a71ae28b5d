import TokendCore

extension JSONWriter {
    /// A Token in the public API's field order; with `.extended`, extension fields follow the
    /// public ones. `replayed`: the answer repeats an idempotent create, whose secret was shown
    /// only once.
    mutating func token(_ token: borrowing Token, secret: String? = nil, fields: TokenFields, replayed: Bool = false) {
        object { json in
            // Ids, names and times are checked to hold nothing JSON must escape: written as they are.
            json.key("id")
            json.uuid(token.id.uuid)
            json.key("project_id")
            json.uuid(token.projectID.uuid)
            json.key("name")
            json.plainString(token.name.rawValue)
            json.key("created_at")
            json.timestamp(token.createdAt)
            json.key("updated_at")
            json.timestamp(token.updatedAt)
            json.key("scopes")
            // Scope and region names are checked words: nothing to escape in them either.
            json.array(token.scopes.inCanonicalOrder) { json, scope in json.plainString(scope.rawValue) }
            json.field("secret_key", secret)
            json.key("region")
            json.plainString(token.region.rawValue)
            guard case .extended(let now) = fields else { return }
            json.field("secret_prefix", token.secretPrefix)
            json.field("expires_at", token.expiresAt?.rfc3339)
            json.field("last_used_at", token.lastUsedAt?.rfc3339)
            json.field("status", token.status(at: now).rawValue)
            if replayed {
                json.field(
                    "idempotent_replay",
                    "this repeats the answer to an earlier create with the same Idempotency-Key; its secret was shown only then")
            }
        }
    }

    mutating func tokenPage(_ page: TokenPage, fields: TokenFields) {
        // A token is ~275 bytes of JSON (a page of 100: 27,431), up to ~310 with a long name;
        // the extension fields add more, and the buffer then grows once.
        reserve(64 + page.tokens.count * 320)
        object { json in
            json.field("total_count", page.totalCount)
            json.key("tokens")
            // Each token is read where it stands, not copied out (its five strings retained
            // and released) as iterating or subscripting the array does.
            page.tokens.withUnsafeBufferPointer { tokens in
                json.array(tokens.indices) { json, index in json.token(tokens[index], fields: fields) }
            }
        }
    }

    mutating func activityPage(_ page: ActivityPage) {
        object { json in
            json.field("total_count", page.totalCount)
            json.key("events")
            json.array(page.events) { json, event in
                json.object { json in
                    let record = event.record
                    json.field("id", String(event.id))
                    json.field("type", record.kind.rawValue)
                    json.field("at", record.at.rfc3339)
                    json.field("region", event.region.rawValue)
                    json.field("token_id", record.tokenID?.rawValue)
                    json.field("project_id", record.projectID?.rawValue)
                    json.field("actor", record.actor)
                    json.field("request_id", record.requestID)
                    json.field("count", record.count)
                    json.field("reason", record.reason)
                }
            }
        }
    }
}
