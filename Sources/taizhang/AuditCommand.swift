// taizhang audit verify | list | show

import ArgumentParser
import Foundation
import TaizhangCore
import TaizhangProto

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The audit journal: verify its hash chain, list entries, prove records to anyone.",
                                                    subcommands: [Verify.self, Accept.self, List.self, Show.self, Key.self, Head.self, Prove.self,
                                                                  Consistency.self, Check.self])

    static let columns: [Column<Taizhang_Ledger_V1_AuditEntry>] = [
        .number("序号", "seq") { $0.seq }, Column("时间", "time") { $0.time }, Column("身份", "identity") { $0.identity },
        Column("经办人", "actor") { $0.actor }, Column("方法", "method") { String($0.method.split(separator: "/").last ?? "") },
        Column("记录", "record") { "\($0.recordKind):\($0.recordID)" }, Column("哈希", "hash") { String($0.hash.prefix(12)) },
    ]

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Walk the hash chain and check every stored row against it; exit 4 and name what was tampered with.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("head"), help: ArgumentHelp("A head printed or published earlier (Status, a backup, journald): the journal must extend it.", valueName: "SEQ:HASH"))
        var head: String?

        func validate() throws {
            if let head, AuditHead(head) == nil {
                throw ValidationError("--head takes SEQ:HASH, e.g. 1024:3f5a… (the seq, a colon, 64 lowercase hex digits), not \"\(head)\"")
            }
        }

        func run() async throws {
            var request = Taizhang_Ledger_V1_VerifyAuditChainRequest()
            if let head = head.flatMap(AuditHead.init) {
                request.expectedHeadSeq = head.seq
                request.expectedHeadHash = head.hash
            }
            let result = try await global.show(RPC.Ledger.verifyAuditChain, request) { result in
                let zh = global.language == .zh
                if result.chainIntact {
                    print(zh ? "审计链完整：共 \(result.entriesChecked) 条，链头 \(result.headSeq):\(result.headHash)"
                             : "audit chain intact: \(result.entriesChecked) entries, head \(result.headSeq):\(result.headHash)")
                } else {
                    print(zh ? "审计链断裂：第 \(result.firstBrokenSeq) 条起不可信（\(result.problem)）"
                             : "audit chain BROKEN at entry \(result.firstBrokenSeq): \(result.problem)")
                }
                if result.mismatchCount == 0 {
                    print(zh ? "台账与审计链一致：核对 \(result.rowsChecked) 行" : "the ledger matches the journal: \(result.rowsChecked) rows checked")
                } else {
                    print(zh ? "台账与审计链不符：\(result.mismatchCount) 处（核对 \(result.rowsChecked) 行）"
                             : "the ledger DIFFERS from the journal in \(result.mismatchCount) places (\(result.rowsChecked) rows checked)")
                    for mismatch in result.mismatches {
                        print("  " + [mismatch.table, mismatch.id, mismatch.column].filter { !$0.isEmpty }.joined(separator: " ") + ": " + mismatch.problem)
                    }
                    if result.mismatchCount > UInt64(result.mismatches.count) {
                        print(zh ? "  ……另有 \(result.mismatchCount - UInt64(result.mismatches.count)) 处" : "  … and \(result.mismatchCount - UInt64(result.mismatches.count)) more")
                    }
                }
            }
            if !result.intact { throw ExitCode(4) }
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept the journal's head as it stands after the daemon held the ledger read-only (journaled; the ledger then takes changes again).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("head"), help: ArgumentHelp("The journal's head now, as `taizhang audit verify` printed it.", valueName: "SEQ:HASH"))
        var head: String
        @Option(name: .customLong("reason"), help: "What you found and decided (1 to 500 characters); kept in the journal.")
        var reason: String

        func validate() throws {
            if AuditHead(head) == nil {
                throw ValidationError("--head takes SEQ:HASH (the seq, a colon, 64 lowercase hex digits), as `taizhang audit verify` printed it, not \"\(head)\"")
            }
        }

        func run() async throws {
            var request = Taizhang_Ledger_V1_AcceptAuditHeadRequest()
            if let head = AuditHead(head) {
                request.headSeq = head.seq
                request.headHash = head.hash
            }
            request.reason = reason
            try await global.show(RPC.Ledger.acceptAuditHead, request) { result in
                print(global.language == .zh ? "已确认审计链头，台账恢复可写；新链头 \(result.headSeq):\(result.headHash)"
                                             : "head accepted; the ledger takes changes again; new head \(result.headSeq):\(result.headHash)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, oldest first.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("record"), help: "Only entries of this record (asset id, project id, admin code).")
        var record: String?
        @Option(name: .customLong("after"), help: "Start after this sequence number.")
        var after: UInt64 = 0
        @Option(name: .customLong("limit"), help: "At most this many entries (1...1000).")
        var limit: Int32 = 50

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListAuditEntriesRequest()
            request.recordID = record ?? ""
            request.afterSeq = after
            request.pageSize = limit
            try await global.show(RPC.Ledger.listAuditEntries, request) { print(Table(AuditCommand.columns, $0.entries, global.language).render()) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one audit entry with its before and after images.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The entry's sequence number.") var seq: UInt64

        func run() async throws {
            try await global.show(RPC.Ledger.getAuditEntry, .with { $0.seq = seq }) { entry in
                let rows: [(String, String, String)] = [
                    ("序号", "seq", String(entry.seq)), ("时间", "time", entry.time), ("身份", "identity", entry.identity),
                    ("经办人", "actor", entry.actor), ("方法", "method", entry.method), ("请求", "request", entry.requestID),
                    ("记录", "record", "\(entry.recordKind):\(entry.recordID)"), ("变更前", "before", entry.beforeJson),
                    ("变更后", "after", entry.afterJson), ("前一哈希", "previous hash", entry.prevHash), ("哈希", "hash", entry.hash),
                ]
                for (zh, en, value) in rows { print("\(global.language == .zh ? zh : en): \(value)") }
            }
        }
    }
}
