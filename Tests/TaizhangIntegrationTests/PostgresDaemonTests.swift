// taizhangd on PostgreSQL (issue 25): the daemon serves a ledger kept in a
// database the test's own cluster holds; its check finds a row edited with
// psql behind its back; two daemons on one database take writes at once,
// give no id twice, and each reads what the other wrote.

import Foundation
import PostgresTestSupport
import Synchronization
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct PostgresDaemonTests {
    static let ledger = "/taizhang.ledger.v1.Ledger/"

    @Test func aDaemonOnPostgreSQL_keepsItsLedgerAcrossARestart_andItsCheckFindsAnEditBehindItsBack() async throws {
        let (uri, database) = try DaemonProcess.postgresURI()
        let daemon = try DaemonProcess(extraArguments: ["--store", uri])
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let registered = try await Fixture.register(client, Fixture.asset(code: "PG-1"))
        try await client.close()
        #expect(daemon.stop() == 0)
        // Restarted on the same database (and data directory, for its keys).
        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory, extraArguments: ["--store", uri])
        defer { restarted.stop() }
        let again = try await restarted.connect()
        let read = try await again.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = registered.id },
                                         as: Taizhang_Ledger_V1_Asset.self)
        #expect(read.code == "PG-1")
        try await again.close()
        let intact = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: restarted.socketPath)
        #expect(intact.status == 0, "\(intact.stdout)\(intact.stderr)")
        _ = try PostgresCluster.shared().query("UPDATE assets SET original_value_fen = original_value_fen + 1 WHERE id = '\(registered.id)'",
                                               database: database)
        let edited = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: restarted.socketPath)
        #expect(edited.status != 0)
        #expect(edited.stdout.contains(registered.id), "\(edited.stdout)")
    }

    @Test func twoDaemonsOnOneDatabase_takeWritesAtOnce_andEachReadsTheOthers() async throws {
        let (uri, _) = try DaemonProcess.postgresURI()
        let first = try DaemonProcess(extraArguments: ["--store", uri])
        defer { first.stop() }
        // The second shares the first's keys, as the daemons of one ledger share them through their credentials.
        let second = try DaemonProcess.sharing(first, extraArguments: ["--store", uri])
        defer { second.stop() }
        let one = try await first.connect()
        let two = try await second.connect()
        try await Fixture.seed(one)
        // Four writers, two on each daemon.
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for writer in 0..<4 {
                let client = writer % 2 == 0 ? one : two
                group.addTask {
                    var ids: [String] = []
                    for number in 0..<10 {
                        ids.append(try await Fixture.register(client, Fixture.asset(code: "W\(writer)-\(number)")).id)
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(ids.count == 40)
        #expect(Set(ids).count == 40, "no id is given twice")
        for id in ids {
            for client in [one, two] {
                let read = try await client.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = id },
                                                  as: Taizhang_Ledger_V1_Asset.self)
                #expect(read.id == id)
            }
        }
        try await one.close()
        try await two.close()
        for daemon in [first, second] {
            let verify = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: daemon.socketPath)
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }
}
