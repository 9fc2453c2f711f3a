// taizhangd --migrate: brings a data directory to this version's schema and
// checks every row against the journal, then exits, so an operator can
// upgrade before starting the service (the daemon also migrates by itself
// at start). Exit 0: migrated (or already current) and every row as the
// journal says; 1: the journal or a row does not agree; 74: the ledger
// could not be opened or migrated (the migration rolled back).

import ArgumentParser
import Foundation
import TaizhangCore
import TaizhangPostgres
import TaizhangStore

extension Taizhangd {
    func migrate(dataDirectory: String, engine: PostgresEngine?, policy: DepreciationPolicy) throws {
        let before: Int
        let store: SQLiteLedgerStore
        let started = Taizhangd.clock.monotonicNanos()
        let place = engine?.description ?? dataDirectory
        do {
            before = try engine?.schemaVersion() ?? SQLiteLedgerStore.schemaVersion(dataDirectory: dataDirectory)
            guard before > 0 else {
                // A mistyped path must not leave a new, empty ledger behind.
                FileHandle.standardError.write(Data("taizhangd: there is no ledger in \(place) to migrate (no taizhang.db or tables with a schema); nothing was created\n".utf8))
                throw ExitCode(74)
            }
            var configuration = SQLiteStoreConfiguration(dataDirectory: dataDirectory)
            configuration.engine = engine
            configuration.depreciationPolicy = policy
            store = try SQLiteLedgerStore(configuration: configuration, clock: Taizhangd.clock)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("taizhangd: cannot migrate the ledger in \(place): \(error)\n".utf8))
            throw ExitCode(74)
        }
        defer { store.close() }
        let after = SQLiteLedgerStore.schemaVersion
        let migrated = String(format: "%.1f s", Double(Taizhangd.clock.monotonicNanos() &- started) / 1e9)
        print(before == after ? "schema version \(after): already current (\(place))"
                              : "schema version \(before) → \(after) in \(migrated) (\(place))")
        let check: AuditVerification
        do {
            check = try store.verifyAuditChain(expectedHead: nil)
        } catch {
            FileHandle.standardError.write(Data("taizhangd: the migrated ledger could not be checked: \(error)\n".utf8))
            throw ExitCode(74)
        }
        let counts = store.statistics().recordCounts
        print("journal: \(check.entriesChecked) entries, head #\(check.headSeq); rows checked against it: \(check.rowsChecked) (assets \(counts["asset"] ?? 0))")
        guard check.intact else {
            print("NOT INTACT: \(check.problem.isEmpty ? "\(check.mismatchCount) rows differ from the journal" : check.problem)")
            for mismatch in check.mismatches.prefix(20) {
                print("  \(mismatch.table) \(mismatch.id) \(mismatch.column): \(mismatch.problem)")
            }
            throw ExitCode(1)
        }
        print("intact: every row is what the journal says")
    }
}
