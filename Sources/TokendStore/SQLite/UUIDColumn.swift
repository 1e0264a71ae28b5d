import GRDB
import GRDBSQLite
import TokendCore

/// An id column decoded from the statement's text where it stands: reading it as a `String`
/// first allocated a heap string per id (a page of 100 tokens reads 200) only to parse it.
/// Only rows read where a cursor stands are decoded so; a copied row (`Row.fetchOne`) goes
/// through GRDB's `fromDatabaseValue`, a string and a parse, as before.
struct UUIDColumn<ID: UUIDIdentifier>: DatabaseValueConvertible, StatementColumnConvertible {
    let id: ID

    init?(sqliteStatement: SQLiteStatement, index: CInt) {
        guard let text = sqlite3_column_text(sqliteStatement, index),
            let uuid = CanonicalUUID(utf8: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(sqliteStatement, index))))
        else { return nil }
        id = ID(uuid: uuid)
    }

    private init(id: ID) { self.id = id }

    var databaseValue: DatabaseValue { id.rawValue.databaseValue }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Self? {
        String.fromDatabaseValue(dbValue).flatMap(ID.init).map(Self.init(id:))
    }
}

extension Row {
    /// The id in column `index`, or nil when it is not one (the caller names the corruption).
    func id<ID: UUIDIdentifier>(_: ID.Type = ID.self, at index: Int) -> ID? {
        (try? decode(UUIDColumn<ID>.self, atIndex: index))?.id
    }
}
