import CSQLiteCoalescedLog
import GRDB
import GRDBSQLite

/// File stores open through the VFS of `CoalescedLog.c`, which writes a commit's WAL frames
/// in runs of up to 128 KiB instead of two calls a frame, handed on before the commit is
/// synced or published to other connections.
enum CoalescedLogVFS {
    /// Registered once, before the first file store opens.
    private static let registration = tokend_register_coalesced_log_vfs()

    /// The URI that opens the database file at `path` through the VFS. SQLite ends a URI's
    /// path at `?` or `#` and reads `%HH`, so those three are escaped.
    static func uri(forFileAt path: String) throws -> String {
        guard registration == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: registration), message: "the coalesced-log VFS could not be registered")
        }
        var escaped = ""
        for character in path.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3F"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(character)
            }
        }
        // An absolute path after an empty authority: `file:` + `//x` would read `x` as a host.
        let authority = path.hasPrefix("/") ? "//" : ""
        return "file:\(authority)\(escaped)?vfs=\(String(cString: tokend_coalesced_log_vfs_name))"
    }
}

extension CoalescedLogVFS {
    /// For tests: the writes SQLite asked of `db`'s open WAL file, and those the file
    /// underneath was given; nil when no WAL of this VFS is open.
    static func writeCounts(of db: Database) -> (gathered: Int, passedOn: Int)? {
        var gathered: Int64 = 0
        var passedOn: Int64 = 0
        guard tokend_coalesced_log_counts(db.sqliteConnection, &gathered, &passedOn) == SQLITE_OK else { return nil }
        return (Int(gathered), Int(passedOn))
    }
}
