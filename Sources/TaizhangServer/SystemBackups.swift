// Online backups (issue 8): CreateBackup writes a consistent snapshot of the
// ledger database into the daemon's backup folder (writes go on meanwhile);
// the client reads it with ReadBackup at its own pace and checks it against
// the SHA-256 and audit head CreateBackup reported. A backup is deleted 10
// minutes after it was last read; at most 2 exist at once.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangProto

final class BackupSessions: Sendable {
    struct Session: Sendable {
        var path: String
        var backup: Taizhang_System_V1_Backup
        var lastReadNanos: UInt64
    }

    static let sessionsMax = 2
    static let idleMillis: UInt64 = 600_000
    static let chunkDefault = 1 << 20
    static let chunkMax = 2 << 20

    private let directory: String?
    private let clock: any WallClock
    private let sessions = Mutex([String: Session]())

    init(directory: String?, clock: any WallClock) {
        self.directory = directory
        self.clock = clock
        // Snapshots left by a daemon that stopped while keeping them.
        if let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for name in names where name.hasPrefix("bk_") && name.hasSuffix(".db") {
                try? FileManager.default.removeItem(atPath: directory + "/" + name)
            }
        }
    }

    /// Drops backups not read for 10 minutes (and their files).
    private func expire(now: UInt64) {
        let gone = sessions.withLock { sessions -> [String] in
            let old = sessions.filter { now &- $0.value.lastReadNanos > BackupSessions.idleMillis * 1_000_000 }
            for id in old.keys { sessions[id] = nil }
            return old.values.map(\.path)
        }
        for path in gone { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A new backup of `store`; blocking (run it off the event loop).
    func create(store: any LedgerStore) throws -> Taizhang_System_V1_Backup {
        guard let directory else {
            throw LedgerError(.failedPrecondition, "this daemon has no backup folder (it keeps one in its data directory: start it with --data-dir)")
        }
        let now = clock.monotonicNanos()
        expire(now: now)
        let id = "bk_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        // Reserve the slot first, so two requests at once cannot make three backups.
        let reserved = sessions.withLock { sessions -> Bool in
            guard sessions.count < BackupSessions.sessionsMax else { return false }
            sessions[id] = Session(path: "", backup: Taizhang_System_V1_Backup(), lastReadNanos: now)
            return true
        }
        guard reserved else {
            throw LedgerError(.resourceExhausted, "\(BackupSessions.sessionsMax) backups are already kept; read them to the end, or wait 10 minutes for them to expire")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let path = directory + "/" + id + ".db"
            let head = try store.snapshot(to: path)
            var digest = SHA256()
            var size: UInt64 = 0
            guard let handle = FileHandle(forReadingAtPath: path) else { throw LedgerError(.internal, "the snapshot could not be read back") }
            defer { try? handle.close() }
            while let data = try handle.read(upToCount: BackupSessions.chunkDefault), !data.isEmpty {
                digest.update(data)
                size += UInt64(data.count)
            }
            let nowMillis = clock.nowUnixMillis()
            var backup = Taizhang_System_V1_Backup()
            backup.id = id
            backup.sizeBytes = size
            backup.sha256 = digest.finalize().map { String(format: "%02x", $0) }.joined()
            backup.auditHeadSeq = head.auditHeadSeq
            backup.auditHeadHash = head.auditHeadHash
            backup.createdAt = Timestamp.rfc3339(unixMillis: nowMillis)
            backup.expiresAt = Timestamp.rfc3339(unixMillis: nowMillis + Int64(BackupSessions.idleMillis))
            sessions.withLock { $0[id] = Session(path: path, backup: backup, lastReadNanos: clock.monotonicNanos()) }
            return backup
        } catch {
            let path = sessions.withLock { $0.removeValue(forKey: id)?.path } ?? ""
            if !path.isEmpty { try? FileManager.default.removeItem(atPath: path) }
            try? FileManager.default.removeItem(atPath: directory + "/" + id + ".db")
            if let error = error as? LedgerError { throw error }
            throw LedgerError(.internal, "the backup could not be written (see the daemon's log): \(error)")
        }
    }

    /// A piece of backup `id`.
    func read(id: String, offset: UInt64, maxBytes: UInt32) throws -> Taizhang_System_V1_BackupChunk {
        let now = clock.monotonicNanos()
        expire(now: now)
        guard let session = sessions.withLock({ sessions -> Session? in
            guard var session = sessions[id], !session.path.isEmpty else { return nil }
            session.lastReadNanos = now
            sessions[id] = session
            return session
        }) else {
            throw LedgerError(.notFound, "no backup \"\(id)\" is kept (it expires 10 minutes after its last read); create a new one")
        }
        if offset > session.backup.sizeBytes {
            throw LedgerError.invalid([.init(field: "offset", description: "is past the end (\(session.backup.sizeBytes) bytes)")], what: "request")
        }
        let wanted = maxBytes == 0 ? BackupSessions.chunkDefault : min(Int(maxBytes), BackupSessions.chunkMax)
        guard let handle = FileHandle(forReadingAtPath: session.path) else { throw LedgerError(.internal, "backup \(id) could not be read") }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let data = try handle.read(upToCount: wanted) ?? Data()
        var chunk = Taizhang_System_V1_BackupChunk()
        chunk.offset = offset
        chunk.data = data
        chunk.eof = offset + UInt64(data.count) >= session.backup.sizeBytes
        return chunk
    }

    /// Deletes every kept backup (at shutdown).
    func removeAll() {
        let paths = sessions.withLock { sessions -> [String] in
            defer { sessions.removeAll() }
            return sessions.values.map(\.path)
        }
        for path in paths where !path.isEmpty { try? FileManager.default.removeItem(atPath: path) }
    }
}
