// The risk monitor's own database, `alerts.db` beside the ledger: every alert
// and every event of its life (raised, changed, cleared). Kept apart from the
// ledger file so the monitor never waits for, or holds up, a ledger write.
// A run's changes commit in one transaction; the open alerts are also held
// in memory, so a restart compares against them and raises nothing twice.

import Foundation
import Synchronization
import TaizhangCore

/// Filters of an alert listing; nil fields do not filter.
public struct AlertFilter: Sendable {
    public var level: AlertLevel?
    public var kind: AlertKind?
    /// Admin codes the alert's subject must be in (a subtree).
    public var adminCodes: Set<String>?
    /// true: only open; false: only cleared; nil: both.
    public var open: Bool?
    /// China Standard Time days, inclusive.
    public var raisedFrom: CivilDate?
    public var raisedTo: CivilDate?
    public var subjectId: String?

    /// A filter.
    public init(level: AlertLevel? = nil, kind: AlertKind? = nil, adminCodes: Set<String>? = nil, open: Bool? = nil,
                raisedFrom: CivilDate? = nil, raisedTo: CivilDate? = nil, subjectId: String? = nil) {
        self.level = level
        self.kind = kind
        self.adminCodes = adminCodes
        self.open = open
        self.raisedFrom = raisedFrom
        self.raisedTo = raisedTo
        self.subjectId = subjectId
    }
}

/// The alert database.
public final class AlertStore: Sendable {
    private struct State {
        let db: any SQLConnection
        var open: [String: AlertRecord]
        var lastId: Int64
        var lastSeq: Int64
        /// On a shared database: the connection's session in which this
        /// daemon holds the monitor's lock (nil: it does not lead).
        var leaderSession: Int?
    }

    private let state: Mutex<State>
    /// Open alerts by level, apart from the database's lock (Status reads it
    /// on an event loop while a run may be committing).
    private let counts: Mutex<[AlertLevel: Int]>
    private let newestSeq: Atomic<Int64>
    /// The oldest kept event's seq (0 when none): older ones were pruned.
    private let oldestKeptSeq: Atomic<Int64>
    /// Whether the alerts are in a database several daemons share
    /// (PostgreSQL): the monitor of one of them at a time changes them.
    public let shared: Bool
    /// This daemon, as the leader's row names it.
    public let daemonName: String
    /// Whether this daemon leads, as last found (read without the lock).
    private let leadingNow = Atomic<Bool>(false)
    /// Who leads, as last read from `risk_monitor_leader`.
    private let leaderSeen = Mutex("")

    /// The session lock the leading monitor holds on a shared database
    /// ("taizhang-risk" in ASCII, apart from the journal's).
    static let leaderLockKey: Int64 = 0x7461_697a_7269_736b
    /// The transaction lock under which a shared database's alert tables are created.
    static let creationLockKey: Int64 = 0x7461_697a_616c_7274

    /// Opens (creating) `alerts.db` in `dataDirectory`.
    public convenience init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let db = try SQLiteConnection(path: dataDirectory + "/alerts.db")
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=FULL")
        try db.execute(AlertStore.schema(.sqlite))
        try self.init(db: db, shared: false, daemonName: "")
    }

    /// Opens the alert tables in the database server several daemons of
    /// one ledger share (creating them), on a connection of their own;
    /// `daemonName` names this daemon to the others while its monitor leads.
    public convenience init(shared db: sending any SQLConnection, daemonName: String) throws {
        try db.execute("BEGIN")
        do {
            try db.prepare("SELECT pg_advisory_xact_lock(?)").query([.int(AlertStore.creationLockKey)]) { _ in }
            try db.execute(AlertStore.schema(db.dialect))
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        try self.init(db: db, shared: true, daemonName: daemonName)
    }

    private init(db: sending any SQLConnection, shared: Bool, daemonName: String) throws {
        let loaded = try AlertStore.load(db)
        state = Mutex(State(db: db, open: loaded.open, lastId: loaded.lastId, lastSeq: loaded.lastSeq))
        counts = Mutex(AlertStore.count(loaded.open))
        newestSeq = Atomic(loaded.lastSeq)
        oldestKeptSeq = Atomic(loaded.firstSeq)
        self.shared = shared
        self.daemonName = daemonName
        leadingNow.store(!shared, ordering: .releasing)
    }

    /// The tables, in the engine's types.
    static func schema(_ dialect: SQLDialect) -> String {
        let (integer, key, text) = dialect == .sqlite ? ("INTEGER", "INTEGER", "TEXT") : ("BIGINT", "BIGINT", "TEXT COLLATE \"C\"")
        var sql = """
            CREATE TABLE IF NOT EXISTS alerts (
                id \(key) PRIMARY KEY,
                kind \(text) NOT NULL,
                subject_id \(text) NOT NULL,
                subject_name \(text) NOT NULL,
                admin_code \(text) NOT NULL,
                level \(text) NOT NULL,
                score \(integer) NOT NULL,
                quarter \(text) NOT NULL,
                parts_json \(text) NOT NULL,
                reasons_json \(text) NOT NULL,
                raised_at \(text) NOT NULL,
                raised_day \(text) NOT NULL,
                changed_at \(text) NOT NULL,
                cleared_at \(text) NOT NULL
            );
            CREATE INDEX IF NOT EXISTS alerts_open ON alerts(cleared_at) WHERE cleared_at = '';
            CREATE INDEX IF NOT EXISTS alerts_subject ON alerts(subject_id, id);
            CREATE TABLE IF NOT EXISTS alert_events (
                seq \(key) PRIMARY KEY,
                alert_id \(integer) NOT NULL REFERENCES alerts(id),
                type \(text) NOT NULL,
                level \(text) NOT NULL,
                previous_level \(text) NOT NULL,
                score \(integer) NOT NULL,
                quarter \(text) NOT NULL,
                reasons_json \(text) NOT NULL,
                time \(text) NOT NULL
            );
            """
        if dialect == .postgresql {
            sql += """

                CREATE TABLE IF NOT EXISTS risk_monitor_leader (
                    one INTEGER PRIMARY KEY CHECK (one = 1),
                    name TEXT NOT NULL,
                    since TEXT NOT NULL
                );
                """
        }
        return sql
    }

    /// The open alerts, the newest id and seq, and the oldest kept seq.
    private static func load(_ db: any SQLConnection) throws -> (open: [String: AlertRecord], lastId: Int64, lastSeq: Int64, firstSeq: Int64) {
        var open: [String: AlertRecord] = [:]
        var (lastId, lastSeq, firstSeq): (Int64, Int64, Int64) = (0, 0, 0)
        try db.prepare("SELECT \(AlertStore.columns) FROM alerts WHERE cleared_at = ''").query([]) { row in
            let record = try AlertStore.record(row)
            open[record.key] = record
        }
        try db.prepare("SELECT COALESCE(MAX(id), 0) FROM alerts").query([]) { lastId = $0.int(0) }
        try db.prepare("SELECT COALESCE(MAX(seq), 0), COALESCE(MIN(seq), 0) FROM alert_events").query([]) {
            (lastSeq, firstSeq) = ($0.int(0), $0.int(1))
        }
        return (open, lastId, lastSeq, firstSeq)
    }

    /// Replaces what is held with what the database holds now.
    private func reload(_ state: inout State) throws {
        let loaded = try AlertStore.load(state.db)
        (state.open, state.lastId, state.lastSeq) = (loaded.open, loaded.lastId, loaded.lastSeq)
        counts.withLock { $0 = AlertStore.count(loaded.open) }
        newestSeq.store(loaded.lastSeq, ordering: .releasing)
        oldestKeptSeq.store(loaded.firstSeq, ordering: .releasing)
    }

    static func count(_ open: [String: AlertRecord]) -> [AlertLevel: Int] {
        var counts: [AlertLevel: Int] = [:]
        for record in open.values { counts[record.level, default: 0] += 1 }
        return counts
    }

    static let columns = "id, kind, subject_id, subject_name, admin_code, level, score, quarter, parts_json, reasons_json, raised_at, changed_at, cleared_at"

    /// The alert in the row's columns `offset`… (in the order of `columns`).
    static func record(_ row: any SQLStatement, offset o: Int32 = 0) throws -> AlertRecord {
        guard let kind = AlertKind(rawValue: row.text(o + 1)), let level = AlertLevel(rawValue: row.text(o + 5)) else {
            throw SQLiteError(code: 0, message: "alerts.db: alert \(row.int(o)) has an unknown kind or level")
        }
        return AlertRecord(id: row.int(o), kind: kind, subjectId: row.text(o + 2), subjectName: row.text(o + 3), adminCode: row.text(o + 4),
                           level: level, score: Int(row.int(o + 6)), quarter: row.text(o + 7),
                           parts: try AlertDetailJSON.readParts(row.text(o + 8)), reasons: try AlertDetailJSON.readReasons(row.text(o + 9)),
                           raisedAt: row.text(o + 10), changedAt: row.text(o + 11), clearedAt: row.text(o + 12))
    }

    /// The open alerts, by key.
    public func openAlerts() -> [String: AlertRecord] {
        state.withLock { $0.open }
    }

    /// Open alerts by level.
    public func openCounts() -> [AlertLevel: Int] {
        counts.withLock { $0 }
    }

    /// The newest event's seq (0 when none).
    public var lastSeq: Int64 { newestSeq.load(ordering: .acquiring) }

    /// The oldest event still kept (0 when none): a watch may resume after
    /// any seq from one before it up to `lastSeq`.
    public var oldestSeq: Int64 { oldestKeptSeq.load(ordering: .acquiring) }

    // MARK: One monitor at a time, on a shared database

    /// Why a change was refused on a shared database: another daemon leads.
    public static let notLeading = LedgerError(.failedPrecondition,
        "another daemon's risk monitor leads on this shared ledger: this daemon changes no alert until it leads")

    /// Whether this daemon's monitor changes the alerts, as last found:
    /// always alone; on a shared database, while it holds the lock.
    public var leading: Bool { leadingNow.load(ordering: .acquiring) }

    /// The daemon whose monitor leads, as last read ("" alone, or when none has).
    public var leaderName: String { shared ? leaderSeen.withLock { $0 } : "" }

    /// Whether this daemon's monitor may change the alerts now. Alone: yes.
    /// On a shared database: while it holds the leader's session lock,
    /// taken when it is free (a daemon that dies, or loses its connection,
    /// lets it go); on taking it, what the last leader stored is read
    /// again, and `risk_monitor_leader` names this daemon.
    public func lead(nowMillis: Int64) throws -> Bool {
        guard shared else { return true }
        return try state.withLock { state in
            let db = state.db
            if let session = state.leaderSession {
                // The lock goes with the server's session: a connection lost lost it.
                let alive = (try? db.prepare("SELECT 1").query([]) { _ in }) != nil
                if alive, db.session == session { return true }
                state.leaderSession = nil
                leadingNow.store(false, ordering: .releasing)
                StoreLog.notice("risk monitor: the connection holding the monitor's lock was lost; this daemon no longer leads")
            }
            var taken = false
            try db.prepare("SELECT pg_try_advisory_lock(?)").query([.int(Self.leaderLockKey)]) { taken = $0.int(0) != 0 }
            guard taken else { return false }
            do {
                try reload(&state)
                try db.prepare("""
                    INSERT INTO risk_monitor_leader(one, name, since) VALUES (1, ?, ?)
                    ON CONFLICT (one) DO UPDATE SET name = excluded.name, since = excluded.since
                    """).run([.text(daemonName), .text(Timestamp.rfc3339(unixMillis: nowMillis))])
            } catch {
                _ = try? db.prepare("SELECT pg_advisory_unlock(?)").query([.int(Self.leaderLockKey)]) { _ in }
                throw error
            }
            state.leaderSession = db.session
            leaderSeen.withLock { $0 = daemonName }
            leadingNow.store(true, ordering: .releasing)
            StoreLog.notice("risk monitor: this daemon (\(daemonName)) leads; the alerts stand at event \(state.lastSeq)")
            return true
        }
    }

    /// On a shared database where another daemon leads: takes in what its
    /// monitor stored since the last look (the alerts its events name, the
    /// newest id and seq, the oldest seq kept), and who leads. Alone, or
    /// leading, it changes nothing; a leader whose connection was made
    /// again (its lock gone with the old session) follows from here on.
    public func refresh() throws {
        guard shared else { return }
        try state.withLock { state in
            let db = state.db
            var name = ""
            try db.prepare("SELECT name FROM risk_monitor_leader").query([]) { name = $0.text(0) }
            if let session = state.leaderSession {
                guard db.session != session else { return }
                state.leaderSession = nil
                leadingNow.store(false, ordering: .releasing)
                StoreLog.notice("risk monitor: the connection holding the monitor's lock was lost; this daemon no longer leads")
            }
            leaderSeen.withLock { $0 = name }
            var (newest, oldest): (Int64, Int64) = (0, 0)
            try db.prepare("SELECT COALESCE(MAX(seq), 0), COALESCE(MIN(seq), 0) FROM alert_events").query([]) { (newest, oldest) = ($0.int(0), $0.int(1)) }
            oldestKeptSeq.store(oldest, ordering: .releasing)
            guard newest != state.lastSeq else { return }
            // Ahead of the database (one restored), or behind the events kept: all again.
            if newest < state.lastSeq || oldest > state.lastSeq + 1 {
                try reload(&state)
                return
            }
            // The alerts the new events name, as they are now, in one read.
            var newCounts = counts.withLock { $0 }
            try db.prepare("""
                SELECT \(AlertStore.columns) FROM alerts
                WHERE id IN (SELECT alert_id FROM alert_events WHERE seq > ? AND seq <= ?) ORDER BY id
                """).query([.int(state.lastSeq), .int(newest)]) { row in
                let record = try AlertStore.record(row)
                if let held = state.open[record.key], held.id <= record.id {
                    newCounts[held.level, default: 0] -= 1
                    state.open[record.key] = nil
                }
                if record.clearedAt.isEmpty, state.open[record.key] == nil {
                    state.open[record.key] = record
                    newCounts[record.level, default: 0] += 1
                }
            }
            counts.withLock { $0 = newCounts }
            try db.prepare("SELECT COALESCE(MAX(id), 0) FROM alerts").query([]) { state.lastId = $0.int(0) }
            state.lastSeq = newest
            newestSeq.store(newest, ordering: .releasing)
        }
    }

    /// Opens a change's transaction: alone, as the file's writer; on a
    /// shared database only while this daemon leads, and only on top of
    /// the newest event (else what is held is read again and the change refused).
    private func beginChange(_ state: inout State) throws {
        let db = state.db
        guard shared else {
            try db.execute("BEGIN IMMEDIATE")
            return
        }
        try db.execute("BEGIN")
        do {
            guard let session = state.leaderSession, db.session == session else {
                state.leaderSession = nil
                leadingNow.store(false, ordering: .releasing)
                throw Self.notLeading
            }
            var newest: Int64 = 0
            try db.prepare("SELECT COALESCE(MAX(seq), 0) FROM alert_events").query([]) { newest = $0.int(0) }
            guard newest == state.lastSeq else {
                try? db.execute("ROLLBACK")
                try reload(&state)
                throw LedgerError(.aborted, "the alerts were changed by another daemon (event \(newest), not \(state.lastSeq)); what they hold was read again")
            }
        } catch {
            if !db.isAutocommit { try? db.execute("ROLLBACK") }
            throw error
        }
    }

    /// Commits a change; on a shared database the other daemons hear of
    /// event `seq` (`NOTIFY taizhang_alerts`, delivered at COMMIT).
    private func commitChange(_ db: any SQLConnection, seq: Int64) throws {
        if shared { try db.prepare("SELECT pg_notify('taizhang_alerts', ?)").query([.text(String(seq))]) { _ in } }
        try db.execute("COMMIT")
    }

    /// Deletes the events before the first one at or after `cutoff` (RFC
    /// 3339, as the events are stored): by seq, so the kept events stay one
    /// unbroken range (a clock stepped back leaves no hole), and always
    /// keeping the newest so that the sequence stays anchored; returns how
    /// many were deleted.
    @discardableResult
    public func pruneEvents(before cutoff: String) throws -> Int {
        try state.withLock { state in
            if shared, state.leaderSession == nil { return 0 }
            let newest = newestSeq.load(ordering: .acquiring)
            // Rows in seq order: the scan stops at the first recent one.
            var firstKept = newest
            try state.db.prepare("SELECT seq FROM alert_events WHERE time >= ? ORDER BY seq LIMIT 1")
                .query([.text(cutoff)]) { firstKept = min($0.int(0), newest) }
            var deleted = 0
            try state.db.prepare("SELECT COUNT(*) FROM alert_events WHERE seq < ?").query([.int(firstKept)]) { deleted = Int($0.int(0)) }
            guard deleted > 0 else { return 0 }
            // On a shared database, only while this daemon leads (as a change).
            try beginChange(&state)
            do {
                try state.db.prepare("DELETE FROM alert_events WHERE seq < ?").run([.int(firstKept)])
                try commitChange(state.db, seq: state.lastSeq)
            } catch {
                try? state.db.execute("ROLLBACK")
                throw error
            }
            var first: Int64 = 0
            try state.db.prepare("SELECT COALESCE(MIN(seq), 0) FROM alert_events").query([]) { first = $0.int(0) }
            oldestKeptSeq.store(first, ordering: .releasing)
            return deleted
        }
    }

    /// Notes the first event ever stored as the oldest kept.
    private func anchorOldest(_ events: [AlertEvent]) {
        if oldestKeptSeq.load(ordering: .acquiring) == 0, let first = events.first { oldestKeptSeq.store(first.seq, ordering: .releasing) }
    }

    /// Stores a run's changes in one transaction and returns the events it
    /// made, in order; on failure nothing is stored.
    public func apply(_ changes: AlertChanges, nowMillis: Int64) throws -> [AlertEvent] {
        let now = Timestamp.rfc3339(unixMillis: nowMillis)
        let day = Timestamp.chinaDate(unixMillis: nowMillis).description
        return try state.withLock { state in
            let db = state.db
            let insertAlert = try db.prepare("INSERT INTO alerts(\(AlertStore.columns), raised_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            let updateAlert = try db.prepare("""
                UPDATE alerts SET subject_name = ?, admin_code = ?, level = ?, score = ?, quarter = ?, parts_json = ?,
                    reasons_json = ?, changed_at = ?, cleared_at = ? WHERE id = ?
                """)
            let insertEvent = try db.prepare("""
                INSERT INTO alert_events(seq, alert_id, type, level, previous_level, score, quarter, reasons_json, time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var lastId = state.lastId
            var seq = state.lastSeq
            var events: [AlertEvent] = []
            // The open alerts change only once the transaction commits, in
            // place (a copy of 100,000 open alerts per run would cost more
            // than the run): `settled` holds what to put (nil: remove).
            var settled: [(key: String, record: AlertRecord?, previous: AlertLevel?)] = []
            func event(_ type: AlertEventType, _ record: AlertRecord, previous: AlertLevel) throws {
                seq += 1
                try insertEvent.run([.int(seq), .int(record.id), .text(type.rawValue), .text(record.level.rawValue), .text(previous.rawValue),
                                     .int(Int64(record.score)), .text(record.quarter), .text(AlertDetailJSON.reasons(record.reasons)), .text(now)])
                events.append(AlertEvent(seq: seq, type: type, alert: record, previousLevel: previous, time: now))
            }
            func update(_ record: AlertRecord) throws {
                try updateAlert.run([.text(record.subjectName), .text(record.adminCode), .text(record.level.rawValue), .int(Int64(record.score)),
                                     .text(record.quarter), .text(AlertDetailJSON.parts(record.parts)), .text(AlertDetailJSON.reasons(record.reasons)),
                                     .text(record.changedAt), .text(record.clearedAt), .int(record.id)])
            }
            try beginChange(&state)
            do {
                for condition in changes.raise {
                    lastId += 1
                    let record = AlertRecord(id: lastId, kind: condition.kind, subjectId: condition.subjectId, subjectName: condition.subjectName,
                                             adminCode: condition.adminCode, level: condition.level, score: condition.score,
                                             quarter: condition.quarter, parts: condition.parts, reasons: condition.reasons,
                                             raisedAt: now, changedAt: now, clearedAt: "")
                    try insertAlert.run([.int(record.id), .text(record.kind.rawValue), .text(record.subjectId), .text(record.subjectName),
                                         .text(record.adminCode), .text(record.level.rawValue), .int(Int64(record.score)), .text(record.quarter),
                                         .text(AlertDetailJSON.parts(record.parts)), .text(AlertDetailJSON.reasons(record.reasons)),
                                         .text(now), .text(now), .text(""), .text(day)])
                    settled.append((record.key, record, nil))
                    try event(.raised, record, previous: .green)
                }
                for (current, condition) in changes.change {
                    var record = current.updated(with: condition)
                    record.changedAt = now
                    try update(record)
                    settled.append((record.key, record, current.level))
                    try event(.changed, record, previous: current.level)
                }
                for (current, condition) in changes.refresh {
                    let record = current.updated(with: condition)
                    try update(record)
                    settled.append((record.key, record, current.level))
                }
                for current in changes.clear {
                    var record = current
                    record.clearedAt = now
                    record.changedAt = now
                    try update(record)
                    settled.append((record.key, nil, current.level))
                    try event(.cleared, record, previous: current.level)
                }
                try commitChange(db, seq: seq)
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
            settle(settled, into: &state)
            state.lastId = lastId
            state.lastSeq = seq
            newestSeq.store(seq, ordering: .releasing)
            anchorOldest(events)
            return events
        }
    }

    /// Stores an `escalated` event for each alert (by id) whose follow-up
    /// the daemon escalated, so WatchAlerts carries it; the alerts are
    /// unchanged. Unknown ids are skipped.
    public func recordEscalations(_ alertIds: [Int64], nowMillis: Int64) throws -> [AlertEvent] {
        guard !alertIds.isEmpty else { return [] }
        let now = Timestamp.rfc3339(unixMillis: nowMillis)
        var records: [AlertRecord] = []
        for id in alertIds { if let record = try alert(id: id) { records.append(record) } }
        return try state.withLock { state in
            let db = state.db
            let insert = try db.prepare("""
                INSERT INTO alert_events(seq, alert_id, type, level, previous_level, score, quarter, reasons_json, time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var seq = state.lastSeq
            var events: [AlertEvent] = []
            try beginChange(&state)
            do {
                for record in records {
                    seq += 1
                    try insert.run([.int(seq), .int(record.id), .text(AlertEventType.escalated.rawValue), .text(record.level.rawValue),
                                    .text(record.level.rawValue), .int(Int64(record.score)), .text(record.quarter),
                                    .text(AlertDetailJSON.reasons(record.reasons)), .text(now)])
                    events.append(AlertEvent(seq: seq, type: .escalated, alert: record, previousLevel: record.level, time: now))
                }
                try commitChange(db, seq: seq)
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
            state.lastSeq = seq
            newestSeq.store(seq, ordering: .releasing)
            anchorOldest(events)
            return events
        }
    }

    /// Puts committed changes into the open alerts, in place, and counts them.
    private func settle(_ settled: [(key: String, record: AlertRecord?, previous: AlertLevel?)], into state: inout State) {
        var newCounts = counts.withLock { $0 }
        for (key, record, _) in settled {
            if let replaced = state.open[key] { newCounts[replaced.level, default: 0] -= 1 }
            if let record { newCounts[record.level, default: 0] += 1 }
            state.open[key] = record
        }
        counts.withLock { $0 = newCounts }
    }

    /// Alerts newest first, with ids below `beforeId` (nil: from the newest).
    /// Returns the page and whether more follow.
    public func alerts(filter: AlertFilter, beforeId: Int64?, limit: Int) throws -> ([AlertRecord], Bool) {
        var sql = "SELECT \(AlertStore.columns) FROM alerts WHERE id < ?"
        var values: [SQLValue] = [.int(beforeId ?? Int64.max)]
        if let level = filter.level { sql += " AND level = ?"; values.append(.text(level.rawValue)) }
        if let kind = filter.kind { sql += " AND kind = ?"; values.append(.text(kind.rawValue)) }
        if let open = filter.open { sql += open ? " AND cleared_at = ''" : " AND cleared_at <> ''" }
        if let from = filter.raisedFrom { sql += " AND raised_day >= ?"; values.append(.text(from.description)) }
        if let to = filter.raisedTo { sql += " AND raised_day <= ?"; values.append(.text(to.description)) }
        if let subject = filter.subjectId { sql += " AND subject_id = ?"; values.append(.text(subject)) }
        sql += " ORDER BY id DESC"
        return try state.withLock { state in
            var records: [AlertRecord] = []
            var more = false
            // Stops reading at the first match past the page.
            struct Enough: Error {}
            do {
                try state.db.prepare(sql).query(values) { row in
                    let code = row.text(4)
                    if let codes = filter.adminCodes, !codes.contains(code) { return }
                    if records.count == limit { more = true; throw Enough() }
                    records.append(try AlertStore.record(row))
                }
            } catch is Enough {}
            return (records, more)
        }
    }

    /// One alert by its id, or nil.
    public func alert(id: Int64) throws -> AlertRecord? {
        try state.withLock { state in
            var record: AlertRecord?
            try state.db.prepare("SELECT \(AlertStore.columns) FROM alerts WHERE id = ?").query([.int(id)]) { record = try AlertStore.record($0) }
            return record
        }
    }

    /// Events after `seq`, oldest first, with their alerts as they are now
    /// except for the level, score, quarter and reasons the event recorded.
    public func events(after seq: Int64, limit: Int) throws -> [AlertEvent] {
        try state.withLock { state in
            var events: [AlertEvent] = []
            try state.db.prepare("""
                SELECT e.seq, e.type, e.level, e.previous_level, e.score, e.quarter, e.reasons_json, e.time,
                       a.\(AlertStore.columns.replacingOccurrences(of: ", ", with: ", a."))
                FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE e.seq > ? ORDER BY e.seq LIMIT ?
                """).query([.int(seq), .int(Int64(limit))]) { row in
                var record = try AlertStore.record(row, offset: 8)
                guard let type = AlertEventType(rawValue: row.text(1)), let level = AlertLevel(rawValue: row.text(2)),
                      let previous = AlertLevel(rawValue: row.text(3)) else { return }
                record.level = level
                record.score = Int(row.int(4))
                record.quarter = row.text(5)
                record.reasons = try AlertDetailJSON.readReasons(row.text(6))
                if type != .cleared { record.clearedAt = "" }
                events.append(AlertEvent(seq: row.int(0), type: type, alert: record, previousLevel: previous, time: row.text(7)))
            }
            return events
        }
    }
}
