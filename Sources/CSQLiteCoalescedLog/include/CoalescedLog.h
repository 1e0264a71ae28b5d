#ifndef TOKEND_COALESCED_LOG_H
#define TOKEND_COALESCED_LOG_H

/// Registers a VFS over the platform's default one that gathers each WAL file's consecutive
/// writes and hands them to the file as one write (of at most 128 KiB) at the end of each
/// commit's frames, or sooner when the run is full, SQLite reads, syncs, sizes, truncates or
/// closes the file, or a write does not continue the run. Not the default: a database opens through it by a URI's `vfs=`. Call
/// once, before opening such a database (not thread-safe). Returns an SQLite result code.
int tokend_register_coalesced_log_vfs(void);

// sqlite3.h stays out of this header: GRDBSQLite's module holds it.
struct sqlite3;

/// The VFS's name, as a URI's `vfs=` names it.
extern const char *const tokend_coalesced_log_vfs_name;

/// For tests: how many writes SQLite asked of the connection's open WAL file, and how many
/// the file underneath was given. SQLITE_NOTFOUND when no WAL of this VFS is open.
int tokend_coalesced_log_counts(struct sqlite3 *connection, long long *gathered, long long *passedOn);

#endif
