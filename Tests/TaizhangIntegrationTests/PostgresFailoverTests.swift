// Failover under load (issue 25): two daemons on a primary with a
// synchronous standby, four writers (two on each daemon) registering
// assets with idempotency keys; the primary's machine dies (SIGKILL to
// every process of the server) mid-load, the standby is promoted, and the
// daemons find it among the hosts of their --store URI. Every write
// acknowledged is present exactly once, the journal verifies on both
// daemons, and neither daemon crashed. A call during the switch may fail
// UNAVAILABLE; the writer retries it with the same key, as a client should.

import Foundation
import PostgresTestSupport
import Synchronization
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(4)))
struct PostgresFailoverTests {
    static let ledger = "/taizhang.ledger.v1.Ledger/"

    /// What the writers saw.
    final class Tally: Sendable {
        let acknowledged = Mutex<[String: String]>([:])  // idempotency key → asset id
        let unavailable = Atomic<Int>(0)
        /// When every process of the primary was dead (kill9 returned).
        let killedAt = Mutex<ContinuousClock.Instant?>(nil)
        /// When the standby's promotion returned, after `killedAt`.
        let promotedAfter = Mutex<Duration?>(nil)
        let firstAfterKill = Mutex<Duration?>(nil)
    }

    /// Registers `count` assets on `client`, each under its own key, retrying
    /// a call that failed UNAVAILABLE (the switch) with the same key.
    static func write(_ client: TaizhangClient, writer: Int, count: Int, tally: Tally) async throws {
        for number in 0..<count {
            let key = "w\(writer)-\(number)"
            var asset = Fixture.asset(code: "F\(writer)-\(number)")
            asset.name = "光伏电站\(writer)-\(number)"
            var attempts = 0
            while true {
                attempts += 1
                // Timed: a call begun after the primary died.
                let killedBefore = tally.killedAt.withLock { $0 }
                do {
                    let registered = try await Fixture.register(client, asset, metadata: ["idempotency-key": key])
                    tally.acknowledged.withLock { $0[key] = registered.id }
                    if let killed = killedBefore {
                        tally.firstAfterKill.withLock { $0 = $0 ?? (ContinuousClock.now - killed) }
                    }
                    break
                } catch let error as RPCError where error.status.code == .unavailable && attempts < 2_000 {
                    tally.unavailable.add(1, ordering: .relaxed)
                    try await Task.sleep(for: .milliseconds(25))
                }
            }
        }
    }

    @Test func thePrimaryDiesUnderLoad_theStandbyIsPromoted_andNoAcknowledgedWriteIsLost() async throws {
        let primary = try PostgresCluster.primary()
        defer { primary.remove() }
        _ = try primary.query("CREATE DATABASE ledger")
        let standby = try PostgresCluster.synchronousStandby(of: primary)
        defer { standby.remove() }
        let uri = "postgresql://\(PostgresCluster.user)@/ledger?host=\(primary.sockets),\(standby.sockets)&port=5432,5432"
        let first = try DaemonProcess(extraArguments: ["--store", uri])
        defer { first.stop() }
        let second = try DaemonProcess.sharing(first, extraArguments: ["--store", uri])
        defer { second.stop() }
        let one = try await first.connect()
        let two = try await second.connect()
        try await Fixture.seed(one)

        let tally = Tally()
        let perWriter = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                let client = writer % 2 == 0 ? one : two
                group.addTask { try await Self.write(client, writer: writer, count: perWriter, tally: tally) }
            }
            // Mid-load: once a third of the writes are acknowledged.
            group.addTask {
                while tally.acknowledged.withLock({ $0.count }) < 4 * perWriter / 3 { try await Task.sleep(for: .milliseconds(5)) }
                try primary.kill9()
                let killed = ContinuousClock.now
                tally.killedAt.withLock { $0 = killed }
                try standby.promote()
                tally.promotedAfter.withLock { $0 = ContinuousClock.now - killed }
            }
            try await group.waitForAll()
        }
        let acknowledged = tally.acknowledged.withLock { $0 }
        #expect(acknowledged.count == 4 * perWriter)
        #expect(Set(acknowledged.values).count == acknowledged.count, "each key is one asset")
        // Every acknowledged write is there exactly once: by id on both daemons, and by number in the listing.
        for (key, id) in acknowledged {
            for client in [one, two] {
                let read = try await client.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = id },
                                                  as: Taizhang_Ledger_V1_Asset.self)
                #expect(read.code == "F" + key.dropFirst(), "\(key) → \(id)")
            }
        }
        let listed = try await one.unary(Self.ledger + "ListAssets", Taizhang_Ledger_V1_ListAssetsRequest.with { $0.pageSize = 1 },
                                         as: Taizhang_Ledger_V1_ListAssetsResponse.self)
        #expect(listed.totalSize == Int64(4 * perWriter), "no write was applied twice")
        try await one.close()
        try await two.close()
        for daemon in [first, second] {
            let verify = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: daemon.socketPath)
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
        // Neither daemon crashed: both answered above, and both stop cleanly.
        #expect(first.stop() == 0)
        #expect(second.stop() == 0)
        let switchTime = tally.firstAfterKill.withLock { $0 }
        let promoted = tally.promotedAfter.withLock { $0 }
        print("failover: \(tally.unavailable.load(ordering: .relaxed)) calls answered UNAVAILABLE during the switch; standby promoted "
              + "\(promoted.map { "\($0)" } ?? "never") and first write (begun after) acknowledged \(switchTime.map { "\($0)" } ?? "never") after the primary died")
    }
}
