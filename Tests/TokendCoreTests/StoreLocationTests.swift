import Testing

@testable import TokendCore

@Suite struct StoreLocationTests {
    @Test func postgreSQLURLsReadWithTheirDefaults() throws {
        let full = try #require(PostgreSQLLocation(url: "postgresql://tokend:s%40cret@db.internal:6432/tokend"))
        #expect(full.host == "db.internal" && full.port == 6432 && full.username == "tokend" && full.database == "tokend")
        #expect(full.password == "s@cret")
        let short = try #require(PostgreSQLLocation(url: "postgres://tokend@127.0.0.1/tokend"))
        #expect(short.port == 5432 && short.password == nil)
        let ipv6 = try #require(PostgreSQLLocation(url: "postgresql://tokend@[::1]:5433/db"))
        #expect(ipv6.host == "::1" && ipv6.description == "postgresql://tokend@[::1]:5433/db")
        #expect(StoreLocation("sqlite") == .sqlite)
        #expect(StoreLocation("postgresql://u@h/d") == .postgresql(PostgreSQLLocation(url: "postgresql://u@h/d")!))
    }

    @Test(arguments: [
        "", "SQLite", "mysql://u@h/db", "postgresql://h/db", "postgresql://u@/db", "postgresql://u@h", "postgresql://u@h/",
        "postgresql://u@h/db/more", "postgresql://u@h/db?sslmode=require", "postgresql://u@h:0/db", "postgresql://u@h:70000/db",
        "postgresql://u@h/db#x",
    ])
    func anythingElseIsRefused(text: String) {
        #expect(StoreLocation(text) == nil)
    }
}
