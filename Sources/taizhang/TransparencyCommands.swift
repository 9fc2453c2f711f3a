// taizhang audit key | head | prove | consistency | check: the journal as
// a transparency log (issue 24, docs/transparency.md). `prove` and
// `consistency` print one JSON document; `check` verifies one offline,
// with no daemon, against the public key it is given.

import ArgumentParser
import Foundation
import TaizhangCore
import TaizhangClient
import TaizhangProto
import TaizhangSheets

enum ProofJSON {
    static func head(_ wire: Taizhang_Ledger_V1_SignedTreeHead) -> SignedHeadDocument {
        SignedHeadDocument(checkpoint: wire.checkpoint, signature: Base64.encode(Array(wire.signature)), key: wire.publicKey,
                           treeSize: wire.treeSize, rootHash: hexString(wire.rootHash), time: wire.time)
    }

    static func entry(_ wire: Taizhang_Ledger_V1_AuditEntry) -> AuditEntry {
        AuditEntry(seq: wire.seq, time: wire.time, identity: wire.identity, actor: wire.actor, method: wire.method, requestId: wire.requestID,
                   requestSHA256: wire.requestSha256, recordKind: wire.recordKind, recordId: wire.recordID, beforeJSON: wire.beforeJson,
                   afterJSON: wire.afterJson, prevHash: wire.prevHash, hash: wire.hash, idempotencyKey: wire.idempotencyKey)
    }

    static func inclusion(_ proof: Taizhang_Ledger_V1_RecordProof) -> InclusionProofDocument {
        InclusionProofDocument(entry: entry(proof.entry), treeSize: proof.treeSize, auditPath: proof.auditPath.map { Array($0) },
                               rootHash: Array(proof.rootHash), signedHead: head(proof.signedHead))
    }

    static func consistency(_ proof: Taizhang_Ledger_V1_ConsistencyProof) -> ConsistencyProofDocument {
        ConsistencyProofDocument(firstSize: proof.firstSize, firstRoot: Array(proof.firstRoot), proof: proof.proof.map { Array($0) },
                                 signedHead: head(proof.signedHead))
    }

    static func text<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension AuditCommand {
    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the public key the daemon signs its tree heads with (last line: ed25519:<base64>).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let head = try await global.once(RPC.Ledger.getTreeHead, .init())
            guard !head.publicKey.isEmpty else {
                FileHandle.standardError.write(Data("taizhang: the daemon signs no tree heads (it has no tree-head key)\n".utf8))
                throw ExitCode(3)
            }
            let origin = head.checkpoint.split(separator: "\n").first.map { " (\($0))" } ?? ""
            print(global.language == .zh ? "树头签名公钥\(origin)：" : "the key signing the journal's tree heads\(origin):")
            print(head.publicKey)
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the journal's newest signed tree head as JSON (keep it: `audit consistency --from` proves later heads extend it).")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .customLong("new"), help: "Sign a head over the journal as it stands first (when it grew since the last).")
        var signNew = false

        func run() async throws {
            let head = try await global.once(RPC.Ledger.getTreeHead, .with { $0.signNew = signNew })
            guard head.treeSize > 0 else {
                FileHandle.standardError.write(Data("taizhang: no tree head has been signed yet; run `taizhang audit head --new` once the journal holds an entry\n".utf8))
                throw ExitCode(3)
            }
            print(try ProofJSON.text(ProofJSON.head(head)))
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the proof that a record's latest journal entry is in the tree of a signed head, as JSON (check it with `audit check`).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("record"), help: "The record's id (asset, plan, notice, household…).")
        var record: String?
        @Option(name: .customLong("seq"), help: "Or the entry's sequence number.")
        var seq: UInt64?
        @Option(name: .customLong("size"), help: "The size of a signed head to prove against (default: the newest).")
        var size: UInt64 = 0

        func validate() throws {
            if (record == nil) == (seq == nil) { throw ValidationError("give --record ID or --seq N (one of the two)") }
        }

        func run() async throws {
            let proof = try await global.once(RPC.Ledger.proveRecord, .with {
                $0.recordID = record ?? ""
                $0.seq = seq ?? 0
                $0.treeSize = size
            })
            print(try ProofJSON.text(ProofJSON.inclusion(proof)))
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the proof that a signed head's tree extends the tree of an older size, as JSON (check it with `audit check --root`).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("from"), help: "The size of the older tree (a head you kept).")
        var from: UInt64
        @Option(name: .customLong("to"), help: "The size of a signed head (default: the newest).")
        var to: UInt64 = 0

        func run() async throws {
            let proof = try await global.once(RPC.Ledger.proveConsistency, .with {
                $0.firstSize = from
                $0.secondSize = to
            })
            print(try ProofJSON.text(ProofJSON.consistency(proof)))
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a proof `audit prove` or `audit consistency` printed, offline (no daemon); exit 4 naming what failed.")
        @Argument(help: "The proof's JSON file ('-': standard input).") var file: String
        @Option(name: .customLong("key"), help: "The daemon's public key, as `taizhang audit key` printed it: ed25519:<base64>.")
        var key: String
        @Option(name: .customLong("root"), help: "For a consistency proof: the root (64 hex digits) of the older head you kept.")
        var root: String?
        @Option(name: .customLong("lang"), help: "zh (default) or en.")
        var language: Language = .zh

        func run() throws {
            let publicKey: Ed25519PublicKey
            do { publicKey = try Ed25519PublicKey(text: key) } catch { throw ValidationError("--key: \(error)") }
            let kept = try root.map { text -> [UInt8] in
                guard let bytes = bytes(hex: text), bytes.count == MerkleHash.size else { throw ValidationError("--root takes 64 hex digits, not \"\(text)\"") }
                return bytes
            }
            let data: Data
            if file == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
                guard let read = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                data = read
            }
            let zh = language == .zh
            let problems: [String]
            let holds: String
            let format = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["format"] as? String
            do {
                switch format {
                case InclusionProofDocument.formatName:
                    let proof = try JSONDecoder().decode(InclusionProofDocument.self, from: data)
                    problems = proof.problems(key: publicKey)
                    holds = zh ? "证明成立：第 \(proof.entry.seq) 条（\(proof.entry.recordKind):\(proof.entry.recordId)）在签名树头（\(proof.treeSize) 条，\(proof.rootHash)）之中"
                               : "the proof holds: entry #\(proof.entry.seq) (\(proof.entry.recordKind):\(proof.entry.recordId)) is in the signed tree of \(proof.treeSize) entries, root \(proof.rootHash)"
                case ConsistencyProofDocument.formatName:
                    let proof = try JSONDecoder().decode(ConsistencyProofDocument.self, from: data)
                    problems = proof.problems(key: publicKey, keptRoot: kept)
                    holds = zh ? "证明成立：签名树头（\(proof.signedHead.treeSize) 条）延续了 \(proof.firstSize) 条时的树（\(proof.firstRoot)）"
                               : "the proof holds: the signed tree of \(proof.signedHead.treeSize) entries extends the tree of \(proof.firstSize), root \(proof.firstRoot)"
                    if kept == nil {
                        FileHandle.standardError.write(Data((zh ? "注意：未给 --root，旧树根取自证明本身；请与您保存的树头核对\n"
                                                                : "note: no --root given: the older root is the document's own; compare it with the head you kept\n").utf8))
                    }
                default:
                    throw ValidationError("\(file) is not a proof: its \"format\" is neither \(InclusionProofDocument.formatName) nor \(ConsistencyProofDocument.formatName)")
                }
            } catch let error as DecodingError {
                throw ValidationError("\(file) does not read as a proof: \(error)")
            }
            guard problems.isEmpty else {
                print(zh ? "证明不成立：" : "the proof FAILS:")
                for problem in problems { print("  " + problem) }
                throw ExitCode(4)
            }
            print(holds)
        }
    }
}

extension GlobalOptions {
    /// The page `html` with a QR code for each record (issue 24). A caller
    /// who may not ask for proofs (a scoped identity: the journal spans the
    /// whole ledger) gets the page without codes, and a note on standard error.
    func stamped(_ html: String, _ client: TaizhangClient, records: [(id: String, label: String)]) async throws -> String {
        guard !records.isEmpty, let (stamps, key) = try await stamps(client, ids: records.map(\.id)) else { return html }
        return try ProofSection.insert(into: html, Array(zip(records.map(\.label), stamps)), publicKey: key, english: language == .en)
    }

    /// Each record's stamp, and the key: one signed head over the journal
    /// as it stands, each record's latest entry proved in it. Nil (noted on
    /// standard error) when this identity may not ask for proofs.
    func stamps(_ client: TaizhangClient, ids: [String], attempts: Int = 3) async throws -> (stamps: [ProofStamp], publicKey: String)? {
        var metadata = self.metadata
        metadata["idempotency-key"] = nil
        do {
            let head = try await client.unary(RPC.Ledger.getTreeHead.path, Taizhang_Ledger_V1_GetTreeHeadRequest.with { $0.signNew = true },
                                              as: Taizhang_Ledger_V1_SignedTreeHead.self, metadata: metadata, timeoutMillis: timeoutMillis)
            var stamps: [ProofStamp] = []
            for id in ids {
                let proof: Taizhang_Ledger_V1_RecordProof
                do {
                    proof = try await client.unary(RPC.Ledger.proveRecord.path, Taizhang_Ledger_V1_ProveRecordRequest.with {
                        $0.recordID = id
                        $0.treeSize = head.treeSize
                    }, as: Taizhang_Ledger_V1_RecordProof.self, metadata: metadata, timeoutMillis: timeoutMillis)
                } catch let error as RPCError where error.status.code == .invalidArgument && attempts > 1 {
                    // Changed since the head was signed: every code then rests on a newer head.
                    return try await self.stamps(client, ids: ids, attempts: attempts - 1)
                }
                let origin = String(proof.signedHead.checkpoint.split(separator: "\n").first ?? "")
                stamps.append(ProofStamp(log: origin, recordId: id, seq: proof.entry.seq, leafHash: hexString(proof.leafHash),
                                         treeSize: proof.treeSize, rootHash: hexString(proof.rootHash)))
            }
            return (stamps, head.publicKey)
        } catch let error as RPCError where [.permissionDenied, .failedPrecondition, .unavailable, .invalidArgument].contains(error.status.code) {
            // Not this identity's to ask, the ledger held, or the journal moving under every try: the page without codes.
            printError(language == .zh ? "注意：未能获取审计日志证明（\(error.status.message)），页面未附核验码"
                                       : "note: no proofs could be had (\(error.status.message)); the page has no verification codes")
            return nil
        }
    }
}
