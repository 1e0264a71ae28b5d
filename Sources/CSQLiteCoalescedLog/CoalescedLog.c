// A VFS that writes each WAL commit in runs of up to 128 KiB instead of two calls per frame.
//
// SQLite 3.40 writes a WAL frame as two calls, its 24-byte header and then its page, so a
// durable commit of ~27 deletes (about 250 frames: a random token's rows sit in random pages
// of nine b-trees) made ~500 pwrite(2) calls, and pwrite was 19 % of a durable delete's CPU
// (perf, 2026-12-04). This shim gathers a WAL file's writes while they continue one another
// and passes them on at once. Measured (BENCHMARKS.md, 2026-12-08, six alternating rounds,
// every commit fsynced): pwrite calls a delete 27 -> 6.5-7.0 (the rest are the checkpointer's),
// durable deletes 6,015 -> 6,680 per s and creates 7,842 -> 8,858 per s (medians).
//
// Why it keeps every promise SQLite's own writes keep (each rule has its test):
// - Only a write that continues the previous one exactly is gathered. One elsewhere (a frame
//   header rewritten in place when a spilled page changed again, a log restarted at its start,
//   the first frame after another connection's commit) hands the run on and is written at once.
// - A commit's last frame is the one whose header names the database's size (bytes 4-7, zero
//   in every other frame); the run is handed on right after that frame's page, so the commit's
//   writes are in the file, or their error is the commit's, before SQLite syncs the log or
//   publishes the commit in the wal-index, under any `synchronous` setting.
// - Any read overlapping the run, sync, size, truncation, file control or close hands the run
//   on first, so the file sees every write in SQLite's order.
// - What a rolled-back transaction spilled is handed on before its connection takes or gives up
//   a lock on the wal-index (the database file's xShmLock, and xShmBarrier before a commit is
//   published), so it cannot land later over another connection's commit.
// - A log whose file does not promise power-safe overwrites (`psow=0`) is not gathered: SQLite
//   then pads a commit to a sector and syncs in the middle of a frame.
// Files other than WAL files pass straight through.

#include <sqlite3.h>

#include "CoalescedLog.h"
#include <stdlib.h>
#include <string.h>

const char *const tokend_coalesced_log_vfs_name = "tokend-coalesced-log";

/// The most the unix VFS writes in one call: its `seekAndWriteFd` masks a length with 0x1ffff,
/// and a longer write comes back short, as SQLITE_FULL. A run of up to 31 frames of a 4 KiB
/// page, so a commit of ~250 frames is nine writes; a bulk transaction holds no more than this
/// per WAL file.
static const int maximumRunBytes = 0x1ffff;

typedef struct GatheringFile GatheringFile;

struct GatheringFile {
    sqlite3_file base;       // base.pMethods is the shim's (or NULL when the open failed)
    sqlite3_file *real;      // the default VFS's file, allocated right after this struct
    int gathers;             // a WAL file whose writes are gathered
    int endsAtNextWrite;     // the last write was a commit frame's header: its page ends the commit
    GatheringFile *log;      // a database file: its open WAL file, when that is one of ours
    GatheringFile *database; // a WAL file: its database's file, when that is one of ours
    sqlite3_int64 lastEnd;   // where the last write to this WAL file ended (-1: none yet)
    unsigned char *run;      // gathered bytes, destined for runStart onward (maximumRunBytes long)
    int runLength;
    sqlite3_int64 runStart;
    sqlite3_int64 writesGathered; // what SQLite asked to write
    sqlite3_int64 writesPassedOn; // what the file was asked to write
};

// The default VFS's file is placed right after this struct: it must stay 8-byte aligned.
_Static_assert(sizeof(GatheringFile) % 8 == 0, "GatheringFile's size keeps the file after it aligned");

static sqlite3_vfs *realVFS(sqlite3_vfs *vfs) { return (sqlite3_vfs *)vfs->pAppData; }

static GatheringFile *gathering(sqlite3_file *file) { return (GatheringFile *)file; }

/// Passes one write to the file underneath, counted.
static int passOn(GatheringFile *file, const void *from, int amount, sqlite3_int64 offset) {
    file->writesPassedOn += 1;
    return file->real->pMethods->xWrite(file->real, from, amount, offset);
}

/// Writes the gathered run out, emptied whether or not the write succeeds (SQLite treats a
/// failed write as the end of the transaction).
static int writeRun(GatheringFile *file) {
    if (file->runLength == 0) return SQLITE_OK;
    int length = file->runLength;
    file->runLength = 0;
    return passOn(file, file->run, length, file->runStart);
}

/// A database file's log hands its run on: before the connection takes or gives up a lock on
/// the wal-index, or publishes a commit there. Only a rolled-back transaction's spilled frames
/// can be gathered then (a commit's are written by its last frame, whose error is the
/// commit's), bytes past every published frame: a failure to write them loses nothing, and is
/// not answered.
static void writeLogRun(GatheringFile *database) {
    if (database->log != NULL) writeRun(database->log);
}

static int fileClose(sqlite3_file *handle) {
    GatheringFile *file = gathering(handle);
    int written = writeRun(file);
    if (file->database != NULL) file->database->log = NULL;
    if (file->log != NULL) file->log->database = NULL;
    int closed = file->real->pMethods->xClose(file->real);
    free(file->run);
    file->run = NULL;
    return written != SQLITE_OK ? written : closed;
}

static int fileRead(sqlite3_file *handle, void *into, int amount, sqlite3_int64 offset) {
    GatheringFile *file = gathering(handle);
    if (file->runLength > 0 && offset < file->runStart + file->runLength && offset + amount > file->runStart) {
        int rc = writeRun(file);
        if (rc != SQLITE_OK) return rc;
    }
    return file->real->pMethods->xRead(file->real, into, amount, offset);
}

/// Room for `amount` more bytes in the run, or 0 when the run is full (or its buffer cannot be
/// had): the caller writes the run out.
static int makeRoom(GatheringFile *file, int amount) {
    if (file->runLength + amount > maximumRunBytes) return 0;
    if (file->run == NULL) file->run = malloc((size_t)maximumRunBytes);
    return file->run != NULL;
}

/// A WAL frame's header (24 bytes) whose second word, the database's size after the commit,
/// is set: the commit's last frame.
static int isCommitFrameHeader(const void *from, int amount) {
    const unsigned char *bytes = from;
    return amount == 24 && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

static int fileWrite(sqlite3_file *handle, const void *from, int amount, sqlite3_int64 offset) {
    GatheringFile *file = gathering(handle);
    if (!file->gathers) return file->real->pMethods->xWrite(file->real, from, amount, offset);
    file->writesGathered += 1;
    int endsCommit = file->endsAtNextWrite;
    int continues = offset == file->lastEnd;
    file->endsAtNextWrite = isCommitFrameHeader(from, amount);
    file->lastEnd = offset + amount;
    int rc = SQLITE_OK;
    if (!continues || !makeRoom(file, amount)) {
        rc = writeRun(file);
        if (rc != SQLITE_OK) return rc;
        // Elsewhere than the run's end: written now, so its error is its own.
        if (!continues || !makeRoom(file, amount)) return passOn(file, from, amount, offset);
    }
    if (file->runLength == 0) file->runStart = offset;
    memcpy(file->run + file->runLength, from, (size_t)amount);
    file->runLength += amount;
    return endsCommit ? writeRun(file) : SQLITE_OK;
}

static int fileTruncate(sqlite3_file *handle, sqlite3_int64 size) {
    GatheringFile *file = gathering(handle);
    int rc = writeRun(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xTruncate(file->real, size);
}

static int fileSync(sqlite3_file *handle, int flags) {
    GatheringFile *file = gathering(handle);
    int rc = writeRun(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xSync(file->real, flags);
}

static int fileSize(sqlite3_file *handle, sqlite3_int64 *size) {
    GatheringFile *file = gathering(handle);
    int rc = writeRun(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xFileSize(file->real, size);
}

static int fileLock(sqlite3_file *handle, int level) {
    sqlite3_file *real = gathering(handle)->real;
    return real->pMethods->xLock(real, level);
}

static int fileUnlock(sqlite3_file *handle, int level) {
    sqlite3_file *real = gathering(handle)->real;
    return real->pMethods->xUnlock(real, level);
}

static int fileCheckReservedLock(sqlite3_file *handle, int *isReserved) {
    sqlite3_file *real = gathering(handle)->real;
    return real->pMethods->xCheckReservedLock(real, isReserved);
}

static int fileControl(sqlite3_file *handle, int operation, void *argument) {
    GatheringFile *file = gathering(handle);
    int rc = writeRun(file);
    if (rc != SQLITE_OK) return rc;
    if (operation == SQLITE_FCNTL_VFSNAME) {
        // Name the shim and what it wraps, as SQLite's own shims do.
        char *below = NULL;
        file->real->pMethods->xFileControl(file->real, operation, &below);
        *(char **)argument = below ? sqlite3_mprintf("%s/%z", tokend_coalesced_log_vfs_name, below)
                                   : sqlite3_mprintf("%s", tokend_coalesced_log_vfs_name);
        return SQLITE_OK;
    }
    return file->real->pMethods->xFileControl(file->real, operation, argument);
}

static int fileSectorSize(sqlite3_file *handle) {
    sqlite3_file *real = gathering(handle)->real;
    return real->pMethods->xSectorSize(real);
}

static int fileDeviceCharacteristics(sqlite3_file *handle) {
    sqlite3_file *real = gathering(handle)->real;
    return real->pMethods->xDeviceCharacteristics(real);
}

static int fileShmMap(sqlite3_file *handle, int region, int size, int extend, void volatile **mapped) {
    sqlite3_file *real = gathering(handle)->real;
    if (real->pMethods->iVersion < 2) return SQLITE_IOERR_SHMMAP;
    return real->pMethods->xShmMap(real, region, size, extend, mapped);
}

static int fileShmLock(sqlite3_file *handle, int offset, int count, int flags) {
    GatheringFile *file = gathering(handle);
    sqlite3_file *real = file->real;
    if (real->pMethods->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
    writeLogRun(file);
    return real->pMethods->xShmLock(real, offset, count, flags);
}

static void fileShmBarrier(sqlite3_file *handle) {
    GatheringFile *file = gathering(handle);
    sqlite3_file *real = file->real;
    // A commit's run is already written by its last frame; this is the net under that rule.
    writeLogRun(file);
    if (real->pMethods->iVersion >= 2) real->pMethods->xShmBarrier(real);
}

static int fileShmUnmap(sqlite3_file *handle, int deleteFlag) {
    sqlite3_file *real = gathering(handle)->real;
    if (real->pMethods->iVersion < 2) return SQLITE_OK;
    return real->pMethods->xShmUnmap(real, deleteFlag);
}

static int fileFetch(sqlite3_file *handle, sqlite3_int64 offset, int amount, void **page) {
    GatheringFile *file = gathering(handle);
    *page = NULL;
    int rc = writeRun(file);
    if (rc != SQLITE_OK) return rc;
    if (file->real->pMethods->iVersion < 3) return SQLITE_OK;  // no mapping: SQLite reads instead
    return file->real->pMethods->xFetch(file->real, offset, amount, page);
}

static int fileUnfetch(sqlite3_file *handle, sqlite3_int64 offset, void *page) {
    sqlite3_file *real = gathering(handle)->real;
    if (real->pMethods->iVersion < 3) return SQLITE_OK;
    return real->pMethods->xUnfetch(real, offset, page);
}

static const sqlite3_io_methods gatheringMethods = {
    3,
    fileClose,
    fileRead,
    fileWrite,
    fileTruncate,
    fileSync,
    fileSize,
    fileLock,
    fileUnlock,
    fileCheckReservedLock,
    fileControl,
    fileSectorSize,
    fileDeviceCharacteristics,
    fileShmMap,
    fileShmLock,
    fileShmBarrier,
    fileShmUnmap,
    fileFetch,
    fileUnfetch,
};

static int vfsOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *handle, int flags, int *outFlags) {
    GatheringFile *file = gathering(handle);
    memset(file, 0, sizeof(*file));
    file->real = (sqlite3_file *)(file + 1);
    file->lastEnd = -1;
    int rc = realVFS(vfs)->xOpen(realVFS(vfs), name, file->real, flags, outFlags);
    // SQLite calls xClose exactly when pMethods is set, even after a failed open.
    file->base.pMethods = file->real->pMethods != NULL ? &gatheringMethods : NULL;
    if (rc != SQLITE_OK || file->base.pMethods == NULL || (flags & SQLITE_OPEN_WAL) == 0) return rc;
    // A WAL file's name is the one SQLite derived from its database's: it finds that file.
    sqlite3_file *database = sqlite3_database_file_object(name);
    if (database == NULL || database->pMethods != &gatheringMethods) return rc;
    // SQLite pads commits to a sector when the database's file says so (not the log's).
    int characteristics = database->pMethods->xDeviceCharacteristics(database);
    if ((characteristics & SQLITE_IOCAP_POWERSAFE_OVERWRITE) == 0) return rc;
    file->gathers = 1;
    file->database = gathering(database);
    file->database->log = file;
    return rc;
}

static int vfsDelete(sqlite3_vfs *vfs, const char *name, int syncDirectory) {
    return realVFS(vfs)->xDelete(realVFS(vfs), name, syncDirectory);
}

static int vfsAccess(sqlite3_vfs *vfs, const char *name, int flags, int *result) {
    return realVFS(vfs)->xAccess(realVFS(vfs), name, flags, result);
}

static int vfsFullPathname(sqlite3_vfs *vfs, const char *name, int size, char *into) {
    return realVFS(vfs)->xFullPathname(realVFS(vfs), name, size, into);
}

static void *vfsDlOpen(sqlite3_vfs *vfs, const char *name) { return realVFS(vfs)->xDlOpen(realVFS(vfs), name); }

static void vfsDlError(sqlite3_vfs *vfs, int size, char *into) { realVFS(vfs)->xDlError(realVFS(vfs), size, into); }

static void (*vfsDlSym(sqlite3_vfs *vfs, void *library, const char *symbol))(void) {
    return realVFS(vfs)->xDlSym(realVFS(vfs), library, symbol);
}

static void vfsDlClose(sqlite3_vfs *vfs, void *library) { realVFS(vfs)->xDlClose(realVFS(vfs), library); }

static int vfsRandomness(sqlite3_vfs *vfs, int size, char *into) {
    return realVFS(vfs)->xRandomness(realVFS(vfs), size, into);
}

static int vfsSleep(sqlite3_vfs *vfs, int microseconds) { return realVFS(vfs)->xSleep(realVFS(vfs), microseconds); }

static int vfsCurrentTime(sqlite3_vfs *vfs, double *now) { return realVFS(vfs)->xCurrentTime(realVFS(vfs), now); }

static int vfsGetLastError(sqlite3_vfs *vfs, int size, char *into) {
    return realVFS(vfs)->xGetLastError(realVFS(vfs), size, into);
}

static int vfsCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *now) {
    return realVFS(vfs)->xCurrentTimeInt64(realVFS(vfs), now);
}

static sqlite3_vfs coalescedLogVFS;

int tokend_coalesced_log_counts(struct sqlite3 *connection, long long *gathered, long long *passedOn) {
    sqlite3_file *log = NULL;
    int rc = sqlite3_file_control(connection, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log);
    if (rc != SQLITE_OK) return rc;
    if (log == NULL || log->pMethods != &gatheringMethods) return SQLITE_NOTFOUND;
    GatheringFile *file = gathering(log);
    if (!file->gathers) return SQLITE_NOTFOUND;
    *gathered = file->writesGathered;
    *passedOn = file->writesPassedOn;
    return SQLITE_OK;
}

int tokend_register_coalesced_log_vfs(void) {
    if (sqlite3_vfs_find(tokend_coalesced_log_vfs_name) != NULL) return SQLITE_OK;
    int rc = sqlite3_initialize();
    if (rc != SQLITE_OK) return rc;
    sqlite3_vfs *below = sqlite3_vfs_find(NULL);
    // xCurrentTimeInt64 is version 2's; versions before it are long gone (SQLite 3.7.0).
    if (below == NULL || below->iVersion < 2) return SQLITE_ERROR;
    coalescedLogVFS = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(GatheringFile) + below->szOsFile,
        .mxPathname = below->mxPathname,
        .zName = tokend_coalesced_log_vfs_name,
        .pAppData = below,
        .xOpen = vfsOpen,
        .xDelete = vfsDelete,
        .xAccess = vfsAccess,
        .xFullPathname = vfsFullPathname,
        .xDlOpen = vfsDlOpen,
        .xDlError = vfsDlError,
        .xDlSym = vfsDlSym,
        .xDlClose = vfsDlClose,
        .xRandomness = vfsRandomness,
        .xSleep = vfsSleep,
        .xCurrentTime = vfsCurrentTime,
        .xGetLastError = vfsGetLastError,
        .xCurrentTimeInt64 = vfsCurrentTimeInt64,
    };
    return sqlite3_vfs_register(&coalescedLogVFS, 0);
}
