// Helpers for the store tests: a temporary data directory, demo records,
// and a synchronous submit.

import Foundation
import PostgresTestSupport
import Synchronization
import TaizhangCore
import TaizhangPostgres
@testable import TaizhangStore

/// The database engines a store test runs on (issue 25).
enum Engine: String, CaseIterable, Sendable {
    case sqlite
    case postgresql
}

/// Where a test's store keeps its rows: a data directory, and with
/// PostgreSQL a fresh database on the process's cluster.
struct StorePlace {
    let directory: String
    /// The PostgreSQL database's name (nil: SQLite).
    let database: String?
    let conninfo: String?

    /// A new, empty place on `engine`.
    init(_ engine: Engine) throws {
        directory = temporaryDirectory()
        switch engine {
        case .sqlite:
            database = nil
            conninfo = nil
        case .postgresql:
            guard PostgresCluster.installed else { throw PostgresCluster.ClusterError(description: "postgresql-15 is missing: scripts/install-deps installs it") }
            let cluster = try PostgresCluster.shared()
            let name = try cluster.createDatabase()
            database = name
            conninfo = cluster.conninfo(name)
        }
    }

    /// Runs `sql` on the database behind the daemon's back (the sqlite3
    /// tool on the file, psql on the server): a real tamperer. Its exit status.
    func tamper(_ sql: String) throws -> Int32 {
        guard let database else { return try sqlite3(directory + "/taizhang.db", sql) }
        do {
            _ = try PostgresCluster.shared().query(sql, database: database)
            return 0
        } catch {
            return 1
        }
    }

    var configuration: SQLiteStoreConfiguration {
        var configuration = SQLiteStoreConfiguration(dataDirectory: directory)
        configuration.engine = conninfo.map { PostgresEngine(conninfo: $0) }
        return configuration
    }
}

/// A store on `engine` with the demo units, whose writer waits 100 ms
/// before it takes a group: calls queued together land in one.
func groupingStore(_ engine: Engine) throws -> (store: SQLiteLedgerStore, place: StorePlace) {
    let place = try StorePlace(engine)
    var configuration = place.configuration
    configuration.faultCommitDelayMillis = 100
    let store = try SQLiteLedgerStore(configuration: configuration)
    seedUnits(store)
    return (store, place)
}

/// A fresh data directory under the system's temporary folder.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "taizhang-store-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A clock the test sets.
final class TestClock: WallClock {
    let millis = Mutex<Int64>(1_795_276_800_000)
    func nowUnixMillis() -> Int64 { millis.withLock { $0 } }
    func monotonicNanos() -> UInt64 { UInt64(millis.withLock { $0 }) * 1_000_000 }
}

func context(_ method: String = "/taizhang.ledger.v1.Ledger/RegisterAsset", key: String? = nil, digest: String = "d") -> CallerContext {
    CallerContext(identity: "uid:0", actor: "测试员", method: method, requestId: "test", requestSHA256: digest, idempotencyKey: key)
}

/// Submits and waits for the durable reply.
func submit(_ store: SQLiteLedgerStore, _ mutation: Mutation, _ context: CallerContext = context()) -> MutationReply {
    let done = DispatchSemaphore(value: 0)
    let reply = Mutex<MutationReply?>(nil)
    _ = store.submit(mutation, context: context, encode: { outcome in
        if case .assets(let assets) = outcome { return Array(assets.map(\.id).joined(separator: ",").utf8) }
        return []
    }, completion: { result in
        reply.withLock { $0 = result }
        done.signal()
    })
    done.wait()
    return reply.withLock { $0! }
}

/// Queues `mutations` together (with a store whose writer waits before
/// it takes a group, they land in one) and waits for every reply, by index.
func submitTogether(_ store: SQLiteLedgerStore, _ mutations: [(Mutation, CallerContext)],
                    encode: @escaping ResponseEncoder = { _ in [] }) -> [Int: MutationReply] {
    let replies = Mutex<[Int: MutationReply]>([:])
    let done = DispatchSemaphore(value: 0)
    for (index, (mutation, context)) in mutations.enumerated() {
        _ = store.submit(mutation, context: context, encode: encode) { reply in
            replies.withLock { $0[index] = reply }
            done.signal()
        }
    }
    for _ in mutations { done.wait() }
    return replies.withLock { $0 }
}

extension MutationSuccess {
    /// The ids of the assets a success reports (replayed: as first encoded).
    var assetIds: String {
        switch self {
        case .applied(.assets(let assets), _): return assets.map(\.id).joined(separator: ",")
        case .applied: return ""
        case .replayed(let bytes): return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Creates a county, a township, a village and a project.
func seedUnits(_ store: SQLiteLedgerStore) {
    for unit in [
        AdminUnit(code: "421024000000", name: "江陵县", level: .county, parentCode: ""),
        AdminUnit(code: "421024101000", name: "熊河镇", level: .township, parentCode: "421024000000"),
        AdminUnit(code: "421024101201", name: "白马村", level: .village, parentCode: "421024101000"),
    ] {
        _ = submit(store, .createAdminUnit(unit), context("/taizhang.ledger.v1.Ledger/CreateAdminUnit"))
    }
    _ = submit(store, .createProject(Project(id: "P1", name: "光伏扶贫项目", year: 2019, implementingUnit: "县发改局",
                                             adminCode: "421024101000", funding: [Funding(source: .centralSpecial, amountFen: 100_000)])),
               context("/taizhang.ledger.v1.Ledger/CreateProject"))
}

func sampleAsset(code: String = "", value: Int64 = 100_000) -> Asset {
    Asset(code: code, name: "白马村光伏电站", category: .operating, projectId: "P1", adminCode: "421024101201",
          acquiredDate: CivilDate("2019-06-30")!, usefulLifeYears: 25, originalValueFen: value,
          funding: [Funding(source: .centralSpecial, amountFen: value)],
          owners: [Owner(name: "白马村股份经济合作社", kind: .villageCollective, adminCode: "421024101201", shareBasisPoints: 10_000)])
}

/// Runs the sqlite3 command-line tool on `database` (a real tamperer).
func sqlite3(_ database: String, _ sql: String) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = [database, sql]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
