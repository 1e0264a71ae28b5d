#ifndef TOKEND_COALESCED_LOG_H
#define TOKEND_COALESCED_LOG_H

/// Registers a VFS over the platform's default one that gathers each WAL file's consecutive
/// writes and hands them to the file as one write (of at most 128 KiB - 1) at the end of each
/// commit's frames, or sooner: when the run is full, when a write does not continue the last,
/// when SQLite reads, syncs, sizes, truncates or closes the file, and when its database file
/// takes or gives up a wal-index lock. A database without power-safe overwrites (`psow=0`) is
/// not gathered. Not the default: a database opens through it by a URI's `vfs=`. Call once,
/// before opening such a database. Returns an SQLite result code.
int tokend_register_coalesced_log_vfs(void);

// sqlite3.h stays out of this header: GRDBSQLite's module holds it.
struct sqlite3;

/// The VFS's name, as a URI's `vfs=` names it.
extern const char *const tokend_coalesced_log_vfs_name;

/// For tests: how many writes SQLite asked of the connection's open WAL file, and how many
/// the file underneath was given. SQLITE_NOTFOUND when no WAL of this VFS is open.
int tokend_coalesced_log_counts(struct sqlite3 *connection, long long *gathered, long long *passedOn);

#endif
