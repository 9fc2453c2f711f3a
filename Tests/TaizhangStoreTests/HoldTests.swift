// The store's read-only hold (issue 18) against a real SQLite file: a held
// ledger refuses every change but the watchdog's probe and an accepted
// head; an acceptance is checked against the journal's head when it
// commits, journaled as a `ledger` entry, and releases only the hold it
// names. The ledger id is given once, at creation, and kept.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite(.serialized, .timeLimit(.minutes(1)))
struct HoldTests {
    static func head(_ store: SQLiteLedgerStore) -> AuditHead {
        let stats = store.statistics()
        return AuditHead(seq: stats.auditHeadSeq, hash: stats.auditHeadHash)
    }

    static func accept(_ store: SQLiteLedgerStore, _ head: AuditHead, because reason: String) -> MutationReply {
        submit(store, .acceptHead(AcceptedHead(ledgerId: store.ledgerId, accepted: head, anchored: nil, heldBecause: reason, reason: "checked")),
               context("/taizhang.ledger.v1.Ledger/AcceptAuditHead"))
    }

    @Test(arguments: Engine.allCases) func aHeldLedgerRefusesChanges_untilTheHoldItNamesIsAccepted(engine: Engine) throws {
        let place = try StorePlace(engine)
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        seedUnits(store)
        store.hold("held: test")
        guard case .failure(let refused) = submit(store, .registerAssets([sampleAsset(code: "H-1")], batch: false)) else {
            Issue.record("a held ledger took a change"); return
        }
        #expect(refused.code == .failedPrecondition && refused.message == "held: test")
        guard case .success = submit(store, .probe) else { Issue.record("the watchdog's probe was refused"); return }

        // A stale head is refused when the acceptance commits; nothing is written.
        let before = Self.head(store)
        guard case .failure(let stale) = Self.accept(store, AuditHead(seq: before.seq - 1, hash: before.hash), because: "held: test") else {
            Issue.record("a stale head was accepted"); return
        }
        #expect(stale.code == .failedPrecondition && stale.message.contains(before.text))
        #expect(Self.head(store) == before && store.heldReason == "held: test")

        // Accepting another hold than the current one journals it but releases nothing.
        guard case .success = Self.accept(store, before, because: "held: an older reason") else { Issue.record("acceptance refused"); return }
        #expect(store.heldReason == "held: test")
        let afterFirst = Self.head(store)
        #expect(afterFirst.seq == before.seq + 1)

        guard case .success(.applied(.journaled(let journaled), _)) = Self.accept(store, afterFirst, because: "held: test") else {
            Issue.record("acceptance refused"); return
        }
        #expect(store.heldReason == nil)
        #expect(journaled == Self.head(store))
        let entry = try #require(try store.auditEntries(recordId: nil, afterSeq: journaled.seq - 1, limit: 1).first)
        #expect(entry.recordKind == "ledger" && entry.recordId == store.ledgerId && entry.hash == journaled.hash)
        #expect(entry.afterJSON.contains("\"accepted\":\"\(afterFirst.text)\"") && entry.afterJSON.contains("\"heldBecause\":\"held: test\""))
        guard case .success = submit(store, .registerAssets([sampleAsset(code: "H-1")], batch: false)) else {
            Issue.record("the released ledger refused a change"); return
        }
        // The journal's `ledger` entries have no table: the ledger still matches its journal.
        #expect(try store.verifyAuditChain().intact)
    }

    @Test(arguments: Engine.allCases) func theLedgerId_isGivenOnce_andKept(engine: Engine) throws {
        let place = try StorePlace(engine)
        let first = try SQLiteLedgerStore(configuration: place.configuration)
        let id = first.ledgerId
        first.close()
        let reopened = try SQLiteLedgerStore(configuration: place.configuration)
        defer { reopened.close() }
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit) && reopened.ledgerId == id)
        let other = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { other.close() }
        #expect(other.ledgerId != id)
    }
}
