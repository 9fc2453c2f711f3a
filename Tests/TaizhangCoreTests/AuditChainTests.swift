// The audit chain detects edits, deletions and reordering.

import Testing
@testable import TaizhangCore

struct AuditChainTests {
    static func chain(_ count: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        var previous = AuditChain.genesisHash
        for seq in 1...UInt64(count) {
            let entry = AuditChain.seal(AuditEntry(seq: seq, time: "2026-11-22T00:00:00.000Z", identity: "uid:0", actor: "张三",
                                                   method: "/taizhang.ledger.v1.Ledger/RegisterAsset", requestId: "r\(seq)",
                                                   requestSHA256: "", recordKind: "asset", recordId: "ZC\(seq)",
                                                   beforeJSON: "", afterJSON: "{\"n\":\(seq)}", prevHash: previous))
            previous = entry.hash
            entries.append(entry)
        }
        return entries
    }

    static func firstProblem(_ entries: [AuditEntry]) -> UInt64? {
        var previous: (UInt64, String)?
        for entry in entries {
            if AuditChain.problem(with: entry, after: previous) != nil { return (previous?.0 ?? 0) + 1 }
            previous = (entry.seq, entry.hash)
        }
        return nil
    }

    @Test func intactChain_verifies() {
        #expect(Self.firstProblem(Self.chain(5)) == nil)
    }

    @Test func editedContents_breakTheLinkAtTheEditedEntry() {
        var entries = Self.chain(5)
        entries[2].afterJSON = "{\"n\":999}"
        #expect(Self.firstProblem(entries) == 3)
    }

    @Test func rehashedEdit_breaksTheNextLink() {
        var entries = Self.chain(5)
        entries[2].actor = "李四"
        entries[2] = AuditChain.seal(entries[2])
        #expect(Self.firstProblem(entries) == 4)
    }

    @Test func deletedEntry_isDetected() {
        var entries = Self.chain(5)
        entries.remove(at: 1)
        #expect(Self.firstProblem(entries) == 2)
    }

    @Test func fieldBoundaries_cannotBeShifted() {
        var a = Self.chain(1)[0]
        var b = a
        a.actor = "ab"; a.method = "c"
        b.actor = "a"; b.method = "bc"
        #expect(AuditChain.computeHash(a) != AuditChain.computeHash(b))
    }
}
