// ImportAssets: an import of up to 200,000 rows sent in chunks, checked as
// the chunks arrive and registered all at once by the final chunk (one
// transaction: all or nothing). Chunks wait in memory, bounded in rows and
// in open imports, and an import left alone for 10 minutes is dropped.
// Nothing is acknowledged before the final chunk commits, so nothing
// acknowledged is lost if the daemon stops in between.

import Synchronization
import TaizhangCore
import TaizhangProto

/// The imports in progress.
final class ImportSessions: Sendable {
    struct Session {
        var assets: [Asset] = []
        /// Asset numbers used by rows of this import, and their row.
        var codes: [String: Int] = [:]
        var violations: [FieldViolation] = []
        var invalidRows = 0
        var touchedMillis: Int64
        var lastChunkDigest = ""
        var lastChunkStart = 0
    }

    /// Most rows in one import.
    static let rowsMax = 200_000
    /// Most rows waiting across all imports.
    static let rowsWaitingMax = 400_000
    /// Most imports open at once, and open at once by one identity.
    static let sessionsMax = 8
    static let sessionsPerIdentityMax = 2
    /// Most rows in one chunk.
    static let chunkMax = 10_000
    /// Idle imports are dropped after this long.
    static let idleMillis: Int64 = 600_000
    /// Most violations listed in the answer (the count says how many rows were bad).
    static let violationsListedMax = 1_000

    /// Open imports, and finished ones (key → the final chunk's digest and
    /// every row), so a final chunk resent after a lost answer is submitted
    /// again whole: the store's idempotency record answers it when the first
    /// attempt committed, and it registers the rows when it did not.
    private struct Books {
        var open: [String: Session] = [:]
        var finished: [String: (digest: String, millis: Int64, assets: [Asset])] = [:]
    }

    /// One lock over everything: a chunk is checked and recorded in one
    /// step, so concurrent chunks cannot slip past the limits.
    private let books = Mutex(Books())
    private let clock: any WallClock
    /// Finished imports kept for a resend.
    static let finishedKept = 2

    init(clock: any WallClock) {
        self.clock = clock
    }

    /// Rows waiting in all open imports (for tests and status).
    var rowsWaiting: Int { books.withLock { $0.open.values.reduce(0) { $0 + $1.assets.count } } }

    /// Handles one chunk: either an answer now, or the mutation registering the whole import.
    /// - Parameters:
    ///   - identity: whose import it is (its name); imports are kept per identity.
    ///   - scope: the admin codes the caller may import into; nil: all.
    func chunk(_ request: Taizhang_Ledger_V1_ImportAssetsRequest, identity: String, digest: String, idempotencyKey: String?,
               store: any LedgerStore, scope: Set<String>? = nil) throws -> Method.Staged<Taizhang_Ledger_V1_ImportAssetsResponse> {
        let id = request.importID
        if id.isEmpty || id.utf8.count > 64 {
            throw LedgerError.invalid([.init(field: "import_id", description: "is required: 1 to 64 characters naming this import, the same on every chunk")], what: "import")
        }
        if request.assets.count > Self.chunkMax {
            throw LedgerError(.invalidArgument, "a chunk holds at most \(Self.chunkMax) rows (got \(request.assets.count)); send smaller chunks",
                              violations: [.init(field: "assets", description: "has \(request.assets.count) items; at most \(Self.chunkMax)")])
        }
        let key = identity + "\n" + id
        let now = clock.nowUnixMillis()
        return try books.withLock { books in
            books.open = books.open.filter { now - $0.value.touchedMillis < Self.idleMillis }
            books.finished = books.finished.filter { now - $0.value.millis < Self.idleMillis }
            if request.final, books.open[key] == nil, let done = books.finished[key], done.digest == digest {
                guard idempotencyKey != nil else {
                    throw LedgerError(.failedPrecondition, "import \"\(id)\" was already submitted; to get its answer again, send the final chunk with the idempotency-key it first had")
                }
                return .submit(.registerAssets(done.assets, batch: true))
            }
            var session = try books.open[key] ?? Self.newSession(books, identity: identity, now: now)
            let first = Int(clamping: request.firstRow)
            if first != session.assets.count {
                if first == session.lastChunkStart, digest == session.lastChunkDigest, !request.final {
                    // The previous chunk again (its answer was lost): already added.
                    return .answer(response(id: id, session: session))
                }
                throw LedgerError(.failedPrecondition, "import \"\(id)\" has \(session.assets.count) rows so far; the next chunk must start at first_row \(session.assets.count), not \(first)",
                                  violations: [.init(field: "first_row", description: "expected \(session.assets.count)")])
            }
            if session.assets.count + request.assets.count > Self.rowsMax {
                books.open[key] = nil
                throw LedgerError(.resourceExhausted, "an import holds at most \(Self.rowsMax) rows; this one would have \(session.assets.count + request.assets.count); it was discarded: split the file")
            }
            let waiting = books.open.values.reduce(0) { $0 + $1.assets.count }
            if waiting + request.assets.count > Self.rowsWaitingMax {
                throw LedgerError(.resourceExhausted, "imports in progress already hold \(waiting) rows; retry this chunk once they finish")
            }
            add(request.assets, to: &session, store: store, scope: scope)
            session.touchedMillis = now
            session.lastChunkStart = first
            session.lastChunkDigest = digest
            if !request.final {
                books.open[key] = session
                return .answer(response(id: id, session: session))
            }
            // The final chunk: the import ends here whatever happens next.
            books.open[key] = nil
            if session.invalidRows > 0 {
                let more = session.violations.count >= Self.violationsListedMax ? " (the first \(Self.violationsListedMax) violations are listed)" : ""
                throw LedgerError(.invalidArgument, "\(session.invalidRows) of \(session.assets.count) rows are invalid; nothing was registered\(more); see violations",
                                  violations: session.violations)
            }
            if request.validateOnly {
                return .answer(response(id: id, session: session))
            }
            if session.assets.isEmpty {
                throw LedgerError.invalid([.init(field: "assets", description: "the import has no rows")], what: "import")
            }
            if books.finished.count >= Self.finishedKept, let oldest = books.finished.min(by: { $0.value.millis < $1.value.millis }) {
                books.finished[oldest.key] = nil
            }
            books.finished[key] = (digest, now, session.assets)
            return .submit(.registerAssets(session.assets, batch: true))
        }
    }

    /// A new import of `identity`, unless too many are open.
    private static func newSession(_ books: Books, identity: String, now: Int64) throws -> Session {
        guard books.open.count < Self.sessionsMax else {
            throw LedgerError(.resourceExhausted, "\(Self.sessionsMax) imports are already open; finish one (send its final chunk) or wait 10 minutes for idle ones to expire")
        }
        let own = books.open.keys.filter { $0.hasPrefix(identity + "\n") }.count
        guard own < Self.sessionsPerIdentityMax else {
            throw LedgerError(.resourceExhausted, "\(identity) already has \(own) imports open (at most \(Self.sessionsPerIdentityMax) per identity); finish one (send its final chunk) or wait 10 minutes for idle ones to expire")
        }
        return Session(touchedMillis: now)
    }

    /// Checks `items` and adds them to `session`, with their violations
    /// (asset numbers used twice in the import or already in the ledger).
    private func add(_ items: [Taizhang_Ledger_V1_Asset], to session: inout Session, store: any LedgerStore, scope: Set<String>?) {
        var projects: [String: Project?] = [:]
        for item in items {
            let row = session.assets.count
            let (asset, checked) = LedgerService.checkedRow(item, store: store, projects: &projects)
            var local = checked
            if !asset.code.isEmpty {
                if let earlier = session.codes[asset.code] {
                    local.append(.init(field: "code", description: "asset number \(asset.code) is also used by assets[\(earlier)] of this import"))
                } else {
                    session.codes[asset.code] = row
                    if let holder = store.assetId(code: asset.code) {
                        let hidden = scope.map { !$0.contains(store.asset(id: holder)?.adminCode ?? "") } ?? false
                        local.append(.init(field: "code", description: "asset number \(asset.code) is already used by \(hidden ? "an asset outside your scope" : holder)"))
                    }
                }
            }
            if !local.isEmpty {
                session.invalidRows += 1
                if session.violations.count < Self.violationsListedMax {
                    session.violations += local.map { $0.prefixed("assets[\(row)]") }.prefix(Self.violationsListedMax - session.violations.count)
                }
            }
            session.assets.append(asset)
        }
    }

    private func response(id: String, session: Session) -> Taizhang_Ledger_V1_ImportAssetsResponse {
        var answer = Taizhang_Ledger_V1_ImportAssetsResponse()
        answer.importID = id
        answer.rowsReceived = UInt64(session.assets.count)
        answer.rowsInvalid = UInt64(session.invalidRows)
        return answer
    }
}
