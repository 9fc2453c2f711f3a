// taizhang backup | restore: an online backup through the daemon, checked
// against the SHA-256 and audit head it reported; a restore into a new data
// directory, verified by walking its audit chain.

import ArgumentParser
import Foundation
import TaizhangCore
import TaizhangProto
import TaizhangStore


struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take an online backup of the ledger through the daemon (writes go on meanwhile).",
        discussion: "Writes FILE only once the copy matches the SHA-256 the daemon computed; prints its size, SHA-256 and last audit entry.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("out"), help: "The backup file to write (it must not exist).") var out: String

    func run() async throws {
        if FileManager.default.fileExists(atPath: out) {
            printError("\(out) exists; name a new file")
            throw ExitCode(2)
        }
        let client = try await global.connect()
        defer { Task { await client.close() } }
        let backup = try await global.call(client, RPC.System.createBackup, Taizhang_System_V1_CreateBackupRequest(), as: Taizhang_System_V1_Backup.self)
        let partial = out + ".part"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: partial) else {
            printError("cannot write \(partial)")
            throw ExitCode(1)
        }
        var digest = SHA256()
        var offset: UInt64 = 0
        do {
            while true {
                let chunk = try await global.call(client, RPC.System.readBackup,
                                                  Taizhang_System_V1_ReadBackupRequest.with { $0.id = backup.id; $0.offset = offset },
                                                  as: Taizhang_System_V1_BackupChunk.self)
                try handle.write(contentsOf: chunk.data)
                digest.update(chunk.data)
                offset += UInt64(chunk.data.count)
                if chunk.eof { break }
                if chunk.data.isEmpty { throw CocoaError(.fileReadCorruptFile) }
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        let sha = Format.hex(digest.finalize())
        guard sha == backup.sha256, offset == backup.sizeBytes else {
            try? FileManager.default.removeItem(atPath: partial)
            printError("the copy does not match the daemon's backup (\(offset) bytes, SHA-256 \(sha); expected \(backup.sizeBytes) bytes, \(backup.sha256)); nothing was kept")
            throw ExitCode(1)
        }
        guard rename(partial, out) == 0 else {
            printError("cannot rename \(partial) to \(out): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        try global.present(backup) { backup in
            print(global.language == .zh
                  ? "已备份到 \(out)：\(backup.sizeBytes) 字节，SHA-256 \(backup.sha256)，审计链至第 \(backup.auditHeadSeq) 条（\(backup.auditHeadHash)）"
                  : "backed up to \(out): \(backup.sizeBytes) bytes, SHA-256 \(backup.sha256), audit chain up to entry \(backup.auditHeadSeq) (\(backup.auditHeadHash))")
        }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data directory and verify its audit chain.",
        discussion: "Start taizhangd on the directory afterwards (--data-dir DIR). Nothing is written to a directory that already holds a ledger.")
    @Option(name: .customLong("from"), help: "The backup file.") var from: String
    @Option(name: .customLong("data-dir"), help: "The new data directory.") var dataDirectory: String
    @Option(name: .customLong("sha256"), help: "The SHA-256 the backup was taken with (checked before anything is written).") var sha256: String?
    @Option(name: .customLong("lang"), help: "zh (default) or en.") var language: Language = .zh

    func run() throws {
        let database = dataDirectory + "/taizhang.db"
        if FileManager.default.fileExists(atPath: database) {
            printError("\(database) exists: restore into a new, empty data directory")
            throw ExitCode(2)
        }
        guard let data = FileManager.default.contents(atPath: from) else {
            printError("cannot read \(from)")
            throw ExitCode(1)
        }
        let sha = SHA256.hex(data)
        if let sha256, sha256.lowercased() != sha {
            printError("\(from) has SHA-256 \(sha), not \(sha256): it is not the backup you named; nothing was written")
            throw ExitCode(4)
        }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            try data.write(to: URL(fileURLWithPath: database), options: .withoutOverwriting)
        } catch {
            printError("cannot write \(database): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        let verification: AuditVerification
        do {
            let store = try SQLiteLedgerStore(configuration: SQLiteStoreConfiguration(dataDirectory: dataDirectory))
            defer { store.close() }
            verification = try store.verifyAuditChain()
        } catch {
            printError("the restored ledger does not open: \(error)")
            throw ExitCode(4)
        }
        let zh = language == .zh
        if verification.chainIntact, let first = verification.mismatches.first {
            printError(zh ? "恢复的台账与审计链不符（\(verification.mismatchCount) 处，如 \(first.table) \(first.id) \(first.column)：\(first.problem)）；不要使用此备份"
                          : "the restored ledger differs from its journal in \(verification.mismatchCount) places (e.g. \(first.table) \(first.id) \(first.column): \(first.problem)); do not use this backup")
            throw ExitCode(4)
        }
        guard verification.intact else {
            printError(zh ? "审计链在第 \(verification.firstBrokenSeq) 条断开：\(verification.problem)；不要使用此备份"
                          : "the audit chain breaks at entry \(verification.firstBrokenSeq): \(verification.problem); do not use this backup")
            throw ExitCode(4)
        }
        print(zh ? "已恢复到 \(dataDirectory)：审计链完整，共 \(verification.entriesChecked) 条，末条 \(verification.headSeq)（\(verification.headHash)）。用 taizhangd --data-dir \(dataDirectory) 启动"
                 : "restored into \(dataDirectory): the audit chain is intact, \(verification.entriesChecked) entries, the last \(verification.headSeq) (\(verification.headHash)). Start taizhangd --data-dir \(dataDirectory)")
    }
}
