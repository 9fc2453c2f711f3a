// The journal's head kept outside the database, and the ledger checked
// against its journal while the daemon runs (issue 18). The head (the
// ledger's id, the last entry's seq and hash) goes to journald at every
// start, every few minutes while it moves, and at a clean stop; at start
// the last head logged for the ledger must be one the database's journal
// extends. A journal cut short together with the rows it produced, or a
// ledger swapped for another in the same data directory, is found there;
// the whole-ledger check after start (and daily) finds rows edited behind
// the daemon's back. Either holds the ledger read-only, raises a critical
// alert, and waits for an operator: `taizhang audit accept --head`, or a
// restore.

import CSystemd
import Foundation
import Synchronization
import TaizhangCore
import TaizhangStore

/// One head as anchored: the ledger, where it lives, and why it was logged.
public struct HeadAnchor: Sendable, Hashable {
    public var ledgerId: String
    public var dataDirectory: String
    public var head: AuditHead
    /// start, periodic, stop, accepted
    public var event: String
    public var time: String

    public init(ledgerId: String, dataDirectory: String, head: AuditHead, event: String, time: String = "") {
        self.ledgerId = ledgerId
        self.dataDirectory = dataDirectory
        self.head = head
        self.event = event
        self.time = time
    }
}

/// Where anchored heads and holds are written and read back.
public protocol HeadAnchorage: Sendable {
    /// "journald", or another name for the log.
    var name: String { get }
    /// Logs `anchor`; false when the log refused it.
    func record(_ anchor: HeadAnchor) -> Bool
    /// The last head logged for `ledgerId` kept in `dataDirectory`, if any.
    func last(ledgerId: String, dataDirectory: String) -> HeadAnchor?
    /// The last head logged for any ledger kept in `dataDirectory`, if any.
    func last(dataDirectory: String) -> HeadAnchor?
    /// Logs that the ledger was held (the critical alert, with `problem`).
    func recordHold(ledgerId: String, dataDirectory: String, problem: String, message: String, reason: String)
    /// The problem and time of the last hold logged for the ledger, if no
    /// head was anchored (accepted) after it: a hold outlives a restart.
    func openHold(ledgerId: String, dataDirectory: String) -> (problem: String, time: String)?
}

/// Heads in journald: written with sd_journal_sendv under their own
/// MESSAGE_ID, read back with sd-journal (the unit's user must be able to
/// read the system journal: `SupplementaryGroups=systemd-journal`).
public struct JournaldAnchorage: HeadAnchorage {
    public static let messageId = "3f1e9b7c2a5d4e8f9c0b1a2d3e4f5a6b"

    public init() {}

    public var name: String { "journald" }

    public func record(_ anchor: HeadAnchor) -> Bool {
        Journal.send([
            ("MESSAGE", "taizhangd: ledger \(anchor.ledgerId) journal head \(anchor.head.seq):\(anchor.head.hash) (\(anchor.event))"),
            ("MESSAGE_ID", JournaldAnchorage.messageId),
            ("PRIORITY", "6"),
            ("SYSLOG_IDENTIFIER", "taizhangd"),
            ("TAIZHANG_LEDGER_ID", anchor.ledgerId),
            ("TAIZHANG_DATA_DIR", anchor.dataDirectory),
            ("TAIZHANG_AUDIT_HEAD_SEQ", String(anchor.head.seq)),
            ("TAIZHANG_AUDIT_HEAD_HASH", anchor.head.hash),
            ("TAIZHANG_ANCHOR_EVENT", anchor.event),
        ]) >= 0
    }

    public func last(ledgerId: String, dataDirectory: String) -> HeadAnchor? {
        last(matching: ["MESSAGE_ID=" + JournaldAnchorage.messageId, "TAIZHANG_LEDGER_ID=" + ledgerId, "TAIZHANG_DATA_DIR=" + dataDirectory])
            .flatMap(JournaldAnchorage.anchor)
    }

    public func last(dataDirectory: String) -> HeadAnchor? {
        last(matching: ["MESSAGE_ID=" + JournaldAnchorage.messageId, "TAIZHANG_DATA_DIR=" + dataDirectory]).flatMap(JournaldAnchorage.anchor)
    }

    public func recordHold(ledgerId: String, dataDirectory: String, problem: String, message: String, reason: String) {
        Journal.send([
            ("MESSAGE", message), ("MESSAGE_ID", LedgerGuard.heldMessageId), ("PRIORITY", "2"), ("SYSLOG_IDENTIFIER", "taizhangd"),
            ("TAIZHANG_LEDGER_ID", ledgerId), ("TAIZHANG_DATA_DIR", dataDirectory), ("TAIZHANG_KIND", "ledger_held"),
            ("TAIZHANG_HELD_PROBLEM", problem), ("TAIZHANG_MESSAGE_EN", reason),
        ])
    }

    public func openHold(ledgerId: String, dataDirectory: String) -> (problem: String, time: String)? {
        // Both MESSAGE_IDs (matches of one field are ORed), then the newest: a hold unless a head came after it.
        guard let last = last(matching: ["MESSAGE_ID=" + JournaldAnchorage.messageId, "MESSAGE_ID=" + LedgerGuard.heldMessageId,
                                         "TAIZHANG_LEDGER_ID=" + ledgerId, "TAIZHANG_DATA_DIR=" + dataDirectory]),
              last["MESSAGE_ID"] == LedgerGuard.heldMessageId else { return nil }
        return (last["TAIZHANG_HELD_PROBLEM"] ?? "", last["time"] ?? "")
    }

    /// An anchor from an entry's fields.
    static func anchor(_ fields: [String: String]) -> HeadAnchor? {
        guard let ledger = fields["TAIZHANG_LEDGER_ID"], let seq = fields["TAIZHANG_AUDIT_HEAD_SEQ"].flatMap({ UInt64($0) }),
              let hash = fields["TAIZHANG_AUDIT_HEAD_HASH"] else { return nil }
        return HeadAnchor(ledgerId: ledger, dataDirectory: fields["TAIZHANG_DATA_DIR"] ?? "", head: AuditHead(seq: seq, hash: hash),
                          event: fields["TAIZHANG_ANCHOR_EVENT"] ?? "", time: fields["time"] ?? "")
    }

    /// The fields of the newest entry with every match ("NAME=value"; one
    /// name given twice means either), written by this daemon's user: _UID
    /// is set by journald itself, so another local user cannot forge one.
    private func last(matching matches: [String]) -> [String: String]? {
        var handle: OpaquePointer?
        guard sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY)) >= 0, let journal = handle else { return nil }
        defer { sd_journal_close(journal) }
        for field in matches + ["_UID=\(getuid())"] {
            let added = field.withCString { sd_journal_add_match(journal, $0, strlen($0)) }
            guard added >= 0 else { return nil }
        }
        guard sd_journal_seek_tail(journal) >= 0, sd_journal_previous(journal) > 0 else { return nil }
        var fields: [String: String] = [:]
        for name in ["MESSAGE_ID", "TAIZHANG_LEDGER_ID", "TAIZHANG_DATA_DIR", "TAIZHANG_AUDIT_HEAD_SEQ", "TAIZHANG_AUDIT_HEAD_HASH",
                     "TAIZHANG_ANCHOR_EVENT", "TAIZHANG_HELD_PROBLEM"] {
            var data: UnsafeRawPointer?
            var length = 0
            guard sd_journal_get_data(journal, name, &data, &length) >= 0, let data else { continue }
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            if text.hasPrefix(name + "=") { fields[name] = String(text.dropFirst(name.count + 1)) }
        }
        var micros: UInt64 = 0
        if sd_journal_get_realtime_usec(journal, &micros) >= 0 { fields["time"] = Timestamp.rfc3339(unixMillis: Int64(micros / 1000)) }
        return fields
    }
}

/// Keeps the ledger's head anchored and the ledger checked; holds it
/// read-only when either fails.
public final class LedgerGuard: Sendable {
    /// The critical alert's MESSAGE_ID (journald), when the ledger is held.
    public static let heldMessageId = "9d2c4b6a8e0f4a1c3e5b7d9f1a3c5e70"

    let store: any LedgerStore
    /// Set by `stopChecking`.
    private let stopping = Mutex(false)
    let anchorage: (any HeadAnchorage)?
    let dataDirectory: String
    let clock: any WallClock
    /// The head last anchored by this process, so a quiet ledger is not logged again.
    private let anchored = Mutex<AuditHead?>(nil)
    /// The anchor the database's journal failed to extend at start, if any.
    private let unextended = Mutex<HeadAnchor?>(nil)

    public init(store: any LedgerStore, anchorage: (any HeadAnchorage)?, dataDirectory: String, clock: any WallClock) {
        self.store = store
        self.anchorage = anchorage
        self.dataDirectory = dataDirectory
        self.clock = clock
        store.observeCommits { [self] touched in
            if touched.kinds.contains(LedgerNotes.kind) { self.accepted() }
        }
    }

    /// journald when its socket exists, else none (a laptop, a container).
    public static func defaultAnchorage() -> (any HeadAnchorage)? {
        FileManager.default.fileExists(atPath: AlertSinks.journalSocket) ? JournaldAnchorage() : nil
    }

    var head: AuditHead {
        let stats = store.statistics()
        return AuditHead(seq: stats.auditHeadSeq, hash: stats.auditHeadHash)
    }

    /// At start, before serving: the last head anchored for this ledger (or
    /// for this data directory) must be one the journal extends. Holds the
    /// ledger and raises the alert when it is not; anchors the head when it is.
    public func checkAtStart() {
        guard let anchorage else {
            DaemonLog.notice("no journald: the journal's head is not anchored outside the database; keep the head `taizhang status` prints elsewhere and check it with `taizhang audit verify --head SEQ:HASH`")
            return
        }
        if let problem = startProblem(anchorage) {
            raise(problem)
            return
        }
        // A hold no operator accepted outlives the restart (the rows it found may still differ).
        if let open = anchorage.openHold(ledgerId: store.ledgerId, dataDirectory: dataDirectory) {
            raise(open.problem, since: open.time)
            return
        }
        anchor("start")
    }

    /// What is wrong with the database's journal against the anchors, or nil.
    func startProblem(_ anchorage: any HeadAnchorage) -> String? {
        let ledgerId = store.ledgerId
        let last = anchorage.last(ledgerId: ledgerId, dataDirectory: dataDirectory)
        if let other = anchorage.last(dataDirectory: dataDirectory), other.ledgerId != ledgerId, last == nil {
            unextended.withLock { $0 = other }
            return "the data directory \(dataDirectory) held ledger \(other.ledgerId) (head \(other.head.text) anchored \(other.time)); it now holds ledger \(ledgerId), never anchored: the database was replaced"
        }
        // An empty journal's head (seq 0) is extended by any journal.
        guard let last, last.head.seq > 0 else { return nil }
        let current = head
        if current.seq < last.head.seq {
            unextended.withLock { $0 = last }
            return "the journal ends at entry \(current.seq), before the head anchored in \(anchorage.name) at \(last.time) (\(last.head.text), \(last.event)): entries were cut from the end"
        }
        let entry = try? store.auditEntries(recordId: nil, afterSeq: last.head.seq - 1, limit: 1).first
        if entry?.seq != last.head.seq || entry?.hash != last.head.hash {
            unextended.withLock { $0 = last }
            return "journal entry \(last.head.seq) is not the one anchored in \(anchorage.name) at \(last.time) (hash \(last.head.hash), now \(entry?.hash ?? "missing")): the journal was rewritten"
        }
        return nil
    }

    /// Logs the head when it moved since the last anchor (`event`: start,
    /// periodic, stop, accepted), unless the ledger is held: a held ledger's
    /// head is not vouched for.
    public func anchor(_ event: String) {
        guard let anchorage, store.heldReason == nil else { return }
        let current = head
        if event == "periodic", anchored.withLock({ $0 }) == current { return }
        let anchor = HeadAnchor(ledgerId: store.ledgerId, dataDirectory: dataDirectory, head: current, event: event)
        if anchorage.record(anchor) {
            anchored.withLock { $0 = current }
        } else {
            DaemonLog.error("\(anchorage.name) refused the journal head \(current.text) (\(event))")
        }
    }

    /// Asks the writer to sign a head of the journal's Merkle tree when the
    /// journal grew since the last (every 5 minutes and at a clean stop,
    /// beside the anchor): a held ledger's tree is not signed.
    public func signTreeHead() {
        guard store.heldReason == nil, store.statistics().auditHeadSeq > (store.latestTreeHead?.head.head.size ?? 0) else { return }
        let context = CallerContext(identity: "taizhangd", actor: "", method: "tree-head", requestId: "tree-head", requestSHA256: "",
                                    idempotencyKey: nil)
        _ = store.submit(.signTreeHead, context: context, encode: { _ in [] }) { reply in
            if case .failure(let error) = reply { DaemonLog.error("signing the journal's tree head failed: \(error.message)") }
        }
    }

    /// The whole ledger against its journal (after start and daily); holds
    /// the ledger and raises the alert on a mismatch. Blocks while it reads.
    public func checkLedger() {
        let started = clock.monotonicNanos()
        do {
            let result = try store.verifyAuditChain(expectedHead: anchored.withLock { $0 }.flatMap { $0.seq > 0 ? $0 : nil })
            let millis = (clock.monotonicNanos() - started) / 1_000_000
            if result.intact {
                DaemonLog.info("ledger check: \(result.entriesChecked) journal entries and \(result.rowsChecked) rows match (\(millis) ms)")
                return
            }
            var problem = result.chainIntact ? "" : "the journal's chain is broken at entry \(result.firstBrokenSeq): \(result.problem)"
            if let first = result.mismatches.first {
                if !problem.isEmpty { problem += "; " }
                let place = [first.table, first.id, first.column].filter { !$0.isEmpty }.joined(separator: " ")
                problem += "\(result.mismatchCount) stored rows differ from the journal (first: \(place): \(first.problem))"
            }
            raise(problem)
        } catch {
            if stopping.withLock({ $0 }) {
                DaemonLog.info("ledger check stopped after \((clock.monotonicNanos() - started) / 1_000_000) ms: the daemon is stopping")
                return
            }
            DaemonLog.error("ledger check could not read the database: \(error)")
        }
    }

    /// Ends a check in progress at once (the daemon is stopping: at a
    /// million assets a check takes a minute or more).
    public func stopChecking() {
        stopping.withLock { $0 = true }
        store.stopChecking()
    }

    /// Holds the ledger read-only and raises the critical alert.
    /// `since`: the time of a hold logged before this start and not
    /// accepted (it is not logged again).
    func raise(_ problem: String, since: String? = nil) {
        let held = since.map { "the ledger is held read-only since \($0)" } ?? "the ledger is held read-only"
        let reason = "\(held): \(problem). Find out what changed (an auditor: `taizhang audit verify`); then accept the journal's head as it stands, the one `taizhang status` prints (`taizhang audit accept --head SEQ:HASH --reason TEXT`), or restore a backup"
        // The first reason stays: it is the one an operator reads and accepts.
        if store.heldReason != nil { return }
        store.hold(reason)
        DaemonLog.log(.critical, reason)
        if since != nil { return }
        let message = "【严重】台账与审计链不符，已转为只读：\(problem)。请核查（审计人员执行 taizhang audit verify），确认后执行 taizhang audit accept --head 或从备份恢复。"
        anchorage?.recordHold(ledgerId: store.ledgerId, dataDirectory: dataDirectory, problem: problem, message: message, reason: reason)
    }

    /// An operator's acceptance: the head it names must be the journal's
    /// head now. Journaled as a `ledger` entry; then the ledger takes
    /// changes again and the new head is anchored.
    public func acceptance(head given: AuditHead, reason: String) throws -> AcceptedHead {
        guard let held = store.heldReason else {
            throw LedgerError(.failedPrecondition, "the ledger is not held read-only: there is nothing to accept")
        }
        let current = head
        guard given == current else {
            throw LedgerError(.failedPrecondition, "the journal's head is \(current.text), not \(given.text): check it again (`taizhang status` prints the head) and accept the head as it is now",
                              violations: [FieldViolation(field: "head_hash", description: "not the journal's head now")])
        }
        return AcceptedHead(ledgerId: store.ledgerId, accepted: current, anchored: unextended.withLock { $0 }?.head, heldBecause: held, reason: reason)
    }

    /// After an acceptance was journaled (the store released the hold
    /// before answering): anchor the new head, and check the rows again at
    /// once. Accepting vouches for the journal, not for rows that differ
    /// from it: those hold the ledger again until it is restored.
    func accepted() {
        unextended.withLock { $0 = nil }
        DaemonLog.notice("the journal's head was accepted by an operator; the ledger takes changes again")
        anchor("accepted")
        let thread = Thread { [self] in checkLedger() }
        thread.name = "taizhang-ledger-check"
        thread.start()
    }
}
