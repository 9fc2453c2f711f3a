// Copies the write-ahead log back into the database file on a thread of its
// own, so the writer does not. SQLite's automatic checkpoint runs inside the
// COMMIT that crosses its threshold, on the committing thread: it reads the
// log's new pages, writes them into the file and syncs the file while every
// caller of the group waits (measured: about a sixth of the writer thread's
// time during a bulk registration, and the slow commit of a RegisterAsset
// run). Here the writer's connection only reports the log's length after
// each commit (`sqlite3_wal_hook`); past `startFrames` pages this thread runs
// a PASSIVE checkpoint on a connection of its own, which takes no lock the
// writer needs. Durability is unchanged: a commit is durable once its log
// frames are synced, before any checkpoint.
//
// A log is rewritten from its start only when a write transaction begins
// after every page of it was copied, which a writer that never pauses does
// not leave time for: past `waitFrames` pages the writer waits, after its
// commit, for a pass that began after that commit (at most the pages of the
// last few commits are left to copy), so its next transaction restarts the
// log and the file stays bounded. `journal_size_limit` then trims a log left
// longer than that.

import Foundation
import Synchronization
import CSQLite

/// The ledger file's checkpoints, off the writer's thread.
final class WALCheckpointer: Sendable {
    /// Pages in the log past which a checkpoint starts (4 KiB pages: 16 MiB).
    let startFrames: Int32
    /// Pages in the log past which the writer waits for a checkpoint.
    let waitFrames: Int32

    struct State {
        /// Passes asked for, and passes finished (a pass covers every
        /// request made before it began).
        var requested: UInt64 = 0
        var finished: UInt64 = 0
        var stopping = false
        var passes: UInt64 = 0
        var writerWaits: UInt64 = 0
        var lastError: Int32 = SQLITE_OK
    }

    /// What the checkpoints did, for tests and the operator's status.
    struct Counts: Sendable, Equatable {
        var passes: UInt64
        var writerWaits: UInt64
    }

    private let state = Mutex(State())
    /// Signalled when a pass is asked for, or the thread is to stop.
    private let wake = NSCondition()
    /// Signalled when a pass ends.
    private let passEnded = NSCondition()
    private let stopped = DispatchSemaphore(value: 0)
    private let connection: Connection

    /// @unchecked: the connection is used by the checkpointer's thread alone.
    private struct Connection: @unchecked Sendable {
        let db: SQLiteConnection
    }

    /// Opens a connection to `path` and starts the thread.
    init(path: String, startFrames: Int32, waitFrames: Int32) throws {
        self.startFrames = max(1, startFrames)
        self.waitFrames = max(self.startFrames, waitFrames)
        let db = try SQLiteConnection(path: path)
        // A connection that never read the file does not know it is in WAL
        // mode, and its checkpoint does nothing (SQLite before 3.42).
        try db.execute("SELECT count(*) FROM sqlite_schema")
        connection = Connection(db: db)
        let thread = Thread { [self] in run() }
        thread.name = "taizhang-store-checkpointer"
        thread.start()
    }

    /// Makes `db` (the writer's connection) report its log's length after
    /// each commit instead of checkpointing itself. The checkpointer must
    /// outlive the connection.
    func attach(to db: SQLiteConnection) throws {
        // Replaces SQLite's own hook, the automatic checkpoint.
        sqlite3_wal_hook(db.handle, { context, _, _, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(frames: frames)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
        // A log left longer than this by a burst is cut back when it restarts.
        try db.execute("PRAGMA journal_size_limit=\(Int64(waitFrames) * 4096)")
    }

    /// On the writer's thread, after a commit that left `frames` pages in the log.
    private func committed(frames: Int32) {
        guard frames >= startFrames else { return }
        let pass = request()
        guard frames >= waitFrames else { return }
        state.withLock { $0.writerWaits += 1 }
        passEnded.lock()
        while !state.withLock({ $0.finished >= pass || $0.stopping }) { passEnded.wait() }
        passEnded.unlock()
    }

    /// Asks for a pass; returns its number.
    @discardableResult
    func request() -> UInt64 {
        let pass = state.withLock { state -> UInt64 in
            state.requested += 1
            return state.requested
        }
        wake.lock()
        wake.signal()
        wake.unlock()
        return pass
    }

    var counts: Counts {
        state.withLock { Counts(passes: $0.passes, writerWaits: $0.writerWaits) }
    }

    /// Ends the thread after the pass under way; a writer waiting goes on.
    func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        wake.lock()
        wake.signal()
        wake.unlock()
        stopped.wait()
        passEnded.lock()
        passEnded.broadcast()
        passEnded.unlock()
    }

    private func run() {
        while true {
            wake.lock()
            var next: (pass: UInt64, stop: Bool) = (0, false)
            while true {
                next = state.withLock { ($0.requested, $0.stopping) }
                if next.stop || next.pass > state.withLock({ $0.finished }) { break }
                wake.wait()
            }
            wake.unlock()
            if next.stop { break }
            let rc = sqlite3_wal_checkpoint_v2(connection.db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            let report = state.withLock { state -> Bool in
                state.passes += 1
                state.finished = next.pass
                // BUSY: another checkpoint (a backup's) is under way; it copies the same pages.
                let failed = rc != SQLITE_OK && rc != SQLITE_BUSY
                defer { state.lastError = failed ? rc : SQLITE_OK }
                return failed && state.lastError != rc
            }
            if report {
                StoreLog.error("checkpoint of the ledger's write-ahead log failed (SQLite \(rc): \(connection.db.lastError)); the log grows until one succeeds")
            }
            passEnded.lock()
            passEnded.broadcast()
            passEnded.unlock()
        }
        stopped.signal()
    }
}
