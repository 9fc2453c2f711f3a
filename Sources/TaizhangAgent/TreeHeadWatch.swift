// The monitoring agent keeps the signed tree heads each daemon showed it
// (issue 24) and checks that every new one extends the last it kept: the
// head's signature against the daemon's key (configured, or the first one
// seen), then RFC 9162's consistency proof from the kept head. A head that
// does not verify, or a tree that does not extend the kept one (the
// journal rewritten, or an old backup restored), is a critical notice.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TaizhangClient
import TaizhangCore
import TaizhangProto

extension DaemonWatch {
    /// Checks the daemon's newest signed head against the last one kept;
    /// keeps it when it holds. Failures to reach the daemon are the poll's.
    func checkTreeHead(_ client: TaizhangClient, _ meta: [String: String]) async {
        do {
            let wire = try await client.unary(RPC.Ledger.getTreeHead, .init(), metadata: meta, timeoutMillis: 10_000)
            guard wire.treeSize > 0 else { return }
            let path = agent.treeHeadsPath(name)
            let kept = HeadHistory.last(KeptTreeHead.self, in: path)
            // A history that exists but does not read is not a first sight: trusting anew would accept any tree.
            if kept == nil, let data = FileManager.default.contents(atPath: path), !data.isEmpty {
                report("\(path) does not read as the heads kept (its last line is damaged); no head is trusted until it is repaired or moved aside", kept: nil)
                return
            }
            let keyText = daemon.treeHeadKey?.description ?? kept?.key ?? wire.publicKey
            if let problem = try await treeProblem(wire, key: keyText, kept: kept, client, meta) {
                report(problem, kept: kept)
                return
            }
            agent.announce { memory in
                memory.verifyFailures.removeValue(forKey: name + "/tree")
                return []
            }
            guard kept?.size != wire.treeSize else { return }
            try HeadHistory.append(KeptTreeHead(size: wire.treeSize, root: hexString(wire.rootHash), checkpoint: wire.checkpoint,
                                                signature: Base64.encode(Array(wire.signature)), key: keyText, seenAt: agent.nowText),
                                   to: path)
        } catch {
            AgentLog.error("daemon \(name): its tree head could not be checked: \(error)")
        }
    }

    /// What is wrong with `wire` given the head kept, or nil.
    func treeProblem(_ wire: Taizhang_Ledger_V1_SignedTreeHead, key keyText: String, kept: KeptTreeHead?, _ client: TaizhangClient,
                     _ meta: [String: String]) async throws -> String? {
        let key = try Ed25519PublicKey(text: keyText)
        let document = SignedHeadDocument(checkpoint: wire.checkpoint, signature: Base64.encode(Array(wire.signature)), key: wire.publicKey,
                                          treeSize: wire.treeSize, rootHash: hexString(wire.rootHash), time: wire.time)
        let head: TreeHead
        switch document.verified(with: key) {
        case .failure(let error): return "the signed head of \(wire.treeSize) entries: \(error)"
        case .success(let verified): head = verified
        }
        guard head.size <= UInt64(Int.max) else { return "the signed head claims \(head.size) entries, more than any tree can hold" }
        guard let kept, let keptRoot = bytes(hex: kept.root), kept.size <= UInt64(Int.max) else { return nil }
        if head.size < kept.size {
            return "the tree has \(head.size) entries, fewer than the \(kept.size) of the head kept on \(kept.seenAt)"
        }
        if head.size == kept.size {
            return head.rootHash == keptRoot ? nil : "the root at \(head.size) entries is \(hexString(head.rootHash)), not the \(kept.root) kept on \(kept.seenAt)"
        }
        let proof = try await client.unary(RPC.Ledger.proveConsistency, .with { $0.firstSize = kept.size; $0.secondSize = head.size },
                                           metadata: meta, timeoutMillis: 10_000)
        guard MerkleProof.verifyConsistency(first: Int(kept.size), second: Int(head.size), firstRoot: keptRoot, secondRoot: head.rootHash,
                                            proof: proof.proof.map { Array($0) }) else {
            return "the tree of \(head.size) entries does not extend the tree of \(kept.size) kept on \(kept.seenAt) (root \(kept.root)): the journal was rewritten, or an old backup restored"
        }
        return nil
    }

    /// One notice per incident: keyed by the head kept, so the heads that
    /// follow while it lasts (one every 5 minutes) are not announced again.
    func report(_ problem: String, kept: KeptTreeHead?) {
        let now = agent.nowText
        let notice = Notice(key: "\(name)/agent/tree-\(kept?.size ?? 0)-\(kept?.root.prefix(16) ?? "none")",
                            daemon: name, daemonTitle: daemon.title, transition: "tree_not_consistent", kind: "audit_tree_not_consistent",
                            kindZh: "审计日志树头不一致", level: "critical", adminCode: daemon.adminCode, subjectKind: "daemon", subjectId: name,
                            subjectName: daemon.title,
                            message: "【严重】\(daemon.title)台账审计日志的签名树头未通过核验：\(problem)",
                            messageEn: "[critical] the signed tree head of \(name) does not hold: \(problem)", time: now)
        AgentLog.error("daemon \(name): \(notice.messageEn)")
        agent.announce { memory in
            guard memory.verifyFailures[name + "/tree"] != notice.key else { return [] }
            memory.verifyFailures[name + "/tree"] = notice.key
            return [notice]
        }
    }
}
