// The journal as a transparency log over RPC (issue 24, docs/transparency.md):
// the newest signed head, a record's proof of inclusion, and the proof that
// a signed head's tree extends an older one. Proofs are refused while the
// ledger is held: a proof vouching for a ledger changed behind the daemon's
// back would be a wrong answer.

import Dispatch
import Foundation
import Synchronization
import TaizhangCore
import TaizhangProto

extension LedgerService.LedgerHandlers {
    var transparencyMethods: [MethodSpec] { [getTreeHead, proveRecord, proveConsistency] }

    var getTreeHead: MethodSpec {
        Method.blocking(RPC.Ledger.getTreeHead) { call, request in
            if request.signNew { try Self.signHead(store, call: call) }
            guard let (head, key) = store.latestTreeHead else {
                // None yet (an empty journal): the key alone, tree_size 0.
                var none = Taizhang_Ledger_V1_SignedTreeHead()
                none.publicKey = store.treeHeadPublicKey?.description ?? ""
                return none
            }
            return Self.wire(head, key: key)
        }
    }

    var proveRecord: MethodSpec {
        Method.blocking(RPC.Ledger.proveRecord) { call, request in
            try Self.refuseWhileHeld(store)
            // The entry in full only to those who may read the journal; to
            // others (ledger.read: a clerk printing a notice) its hashes alone.
            let mayReadJournal = call.principal.map { $0.may(.auditRead) } ?? true
            if request.seq > 0, !mayReadJournal {
                throw LedgerError(.permissionDenied, "an entry by its seq is proved to an identity with audit.read only; \(call.principal?.name ?? call.identity) may prove a record by its record_id")
            }
            let entry = try Self.entry(request, store: store)
            var signed: (head: SignedTreeHead, key: Ed25519PublicKey)
            if request.treeSize == 0 {
                if (store.latestTreeHead?.head.head.size ?? 0) < entry.seq { try Self.signHead(store, call: call) }
                guard let newest = store.latestTreeHead, newest.head.head.size >= entry.seq else {
                    throw LedgerError(.unavailable, "no head could be signed over entry #\(entry.seq); retry, and see the daemon's log if it persists")
                }
                signed = newest
            } else {
                guard request.treeSize >= entry.seq else {
                    throw LedgerError.invalid([.init(field: "tree_size", description: "entry #\(entry.seq) is not in a tree of \(request.treeSize) entries: give \(entry.seq) or more, or 0 for the newest head")])
                }
                signed = try Self.signedHead(size: request.treeSize, store: store)
            }
            var proof = Taizhang_Ledger_V1_RecordProof()
            if mayReadJournal { proof.entry = Encode.auditEntry(entry) } else { proof.entry.seq = entry.seq }
            proof.leafIndex = entry.seq - 1
            proof.leafHash = AuditChain.leafHash(entry).asData
            proof.treeSize = signed.head.head.size
            proof.auditPath = try store.inclusionProof(index: entry.seq - 1, size: signed.head.head.size).map(\.asData)
            proof.rootHash = signed.head.head.rootHash.asData
            proof.signedHead = Self.wire(signed.head, key: signed.key)
            return proof
        }
    }

    var proveConsistency: MethodSpec {
        Method.blocking(RPC.Ledger.proveConsistency) { _, request in
            try Self.refuseWhileHeld(store)
            let signed = try request.secondSize == 0 ? store.latestTreeHead : Self.signedHead(size: request.secondSize, store: store)
            guard let signed else { throw LedgerError(.notFound, "no tree head has been signed yet; ask GetTreeHead with sign_new first") }
            guard request.firstSize >= 1, request.firstSize <= signed.head.head.size else {
                throw LedgerError.invalid([.init(field: "first_size", description: "give the size of the tree you kept: 1 to \(signed.head.head.size), the size of the head it is proved against")])
            }
            var proof = Taizhang_Ledger_V1_ConsistencyProof()
            proof.firstSize = request.firstSize
            proof.firstRoot = try store.treeRoot(size: request.firstSize).asData
            proof.proof = try store.consistencyProof(from: request.firstSize, to: signed.head.head.size).map(\.asData)
            proof.signedHead = Self.wire(signed.head, key: signed.key)
            return proof
        }
    }
}

extension LedgerService.LedgerHandlers {
    /// Asks the writer for a head over the journal as it stands, and waits for it.
    static func signHead(_ store: any LedgerStore, call: CallContext) throws {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<MutationReply?>(nil)
        let context = CallerContext(identity: call.identity, actor: "", method: RPC.Ledger.getTreeHead.path, requestId: call.requestId,
                                    requestSHA256: "", idempotencyKey: nil)
        _ = store.submit(.signTreeHead, context: context, encode: { _ in [] }) { reply in
            outcome.withLock { $0 = reply }
            done.signal()
        }
        done.wait()
        if case .failure(let error) = outcome.withLock({ $0 }) { throw error }
    }

    static func refuseWhileHeld(_ store: any LedgerStore) throws {
        if let reason = store.heldReason {
            throw LedgerError(.failedPrecondition, "no proofs are given while the ledger is held: \(reason)")
        }
    }

    /// The entry a ProveRecord request names: a record's latest, or one by seq.
    static func entry(_ request: Taizhang_Ledger_V1_ProveRecordRequest, store: any LedgerStore) throws -> AuditEntry {
        switch (request.recordID.isEmpty, request.seq) {
        case (false, 0):
            guard request.recordID.utf8.count <= 64 else {
                throw LedgerError.invalid([.init(field: "record_id", description: "is at most 64 bytes")])
            }
            guard let latest = try store.latestAuditEntry(recordId: request.recordID) else { throw LedgerError(.notFound, "the journal holds no entry of record \(request.recordID)") }
            return latest
        case (true, let seq) where seq > 0:
            guard let entry = try store.auditEntries(recordId: nil, afterSeq: seq - 1, limit: 1).first, entry.seq == seq else {
                throw LedgerError(.notFound, "no audit entry #\(seq) exists; the journal's head is #\(store.statistics().auditHeadSeq)")
            }
            return entry
        default:
            throw LedgerError.invalid([.init(field: "record_id", description: "give the record's id, or the entry's seq, not both and not neither")])
        }
    }

    /// The signed head of `size` leaves and its key; one past the
    /// journal's end (a journal cut short, not yet accepted) is not served.
    static func signedHead(size: UInt64, store: any LedgerStore) throws -> (head: SignedTreeHead, key: Ed25519PublicKey) {
        if let newest = store.latestTreeHead, newest.head.head.size == size { return newest }
        guard size <= store.statistics().auditHeadSeq, let found = try store.treeHead(size: size) else {
            throw LedgerError(.notFound, "no head was signed at tree size \(size); give the size of a signed head (`taizhang audit head`), or 0 for the newest")
        }
        return found
    }

    /// A head as the wire carries it, with the key it was signed with.
    static func wire(_ signed: SignedTreeHead, key: Ed25519PublicKey) -> Taizhang_Ledger_V1_SignedTreeHead {
        var head = Taizhang_Ledger_V1_SignedTreeHead()
        head.checkpoint = signed.head.body
        head.signature = signed.signature.asData
        head.publicKey = key.description
        head.treeSize = signed.head.size
        head.rootHash = signed.head.rootHash.asData
        head.time = signed.head.time
        return head
    }
}

extension Array where Element == UInt8 {
    /// The bytes as a protobuf `bytes` field.
    var asData: Data { Data(self) }
}
