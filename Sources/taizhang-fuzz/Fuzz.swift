// Fuzzing the daemon from raw bytes (issue 8): each input is what a client
// sends on one connection to a real in-process server (Unix socket, SQLite
// store, local mode: every permission), so the frame decoder, the envelope,
// every method's request decoding, validation and the store see it. A crash,
// a hang (no close within 10 s) or a trap is a finding.
//
// Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz) libFuzzer drives it;
// built normally it replays files and folders (seeds, kept findings) and
// writes the seed corpus: `taizhang-fuzz --write-seeds DIR`.

import Foundation
import SwiftProtobuf
import TaizhangProto
import TaizhangServer
import TaizhangStore
import TaizhangWire

final class Harness: @unchecked Sendable {
    static let shared: Harness = {
        do { return try Harness() } catch { fatalError("taizhang-fuzz: cannot start the server: \(error)") }
    }()

    let socketPath: String
    let server: TaizhangServer

    init() throws {
        let directory = NSTemporaryDirectory() + "tz-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/fuzz.sock"
        let store = try SQLiteLedgerStore(configuration: SQLiteStoreConfiguration(dataDirectory: directory))
        var configuration = ServerConfiguration(listeners: [.unixDomainSocket(path: socketPath)])
        configuration.eventLoopThreads = 1
        configuration.backupDirectory = directory + "/backups"
        server = try TaizhangServer(configuration: configuration, store: store)
        _ = try server.start()
        // A small ledger for the inputs to find: the seeds name these.
        for frame in Seeds.ledger { run(frame) }
    }

    /// Sends `bytes` on a new connection, closes its sending side, and reads
    /// until the server closes.
    func run(_ bytes: [UInt8]) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket: \(errno)")
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let path = Array(socketPath.utf8)
            raw.copyBytes(from: path.prefix(raw.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(connected == 0, "connect: \(errno)")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { break } // the server may close first (a bad frame): fine
            sent += written
        }
        shutdown(fd, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                fatalError("taizhang-fuzz: the server did not close the connection within 10 s of the input")
            }
            break
        }
    }
}

/// Frames of valid requests: the seed corpus and the ledger the harness starts with.
enum Seeds {
    static func frame(_ method: String, _ message: some SwiftProtobuf.Message, callId: UInt64 = 1, metadata: [String: String] = [:]) -> [UInt8] {
        var request = Taizhang_Rpc_V1_Request()
        request.callID = callId
        request.method = method
        // Deterministic map order: the committed seeds stay byte for byte what this writes.
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        request.payload = (try? message.serializedData(options: options)) ?? Data()
        request.metadata = metadata
        let body = (try? request.serializedBytes(options: options) as [UInt8]) ?? []
        let length = UInt32(body.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)] + body
    }

    static var asset: Taizhang_Ledger_V1_Asset {
        var asset = Taizhang_Ledger_V1_Asset()
        asset.name = "白马村光伏电站"
        asset.category = .operating
        asset.projectID = "JL-2019-001"
        asset.adminCode = "421024101201"
        asset.acquiredDate = "2019-06-30"
        asset.usefulLifeYears = 25
        asset.originalValueFen = 1_000_000
        asset.funding = [.with { $0.source = .centralSpecial; $0.amountFen = 1_000_000 }]
        asset.owners = [.with { $0.name = "白马村股份经济合作社"; $0.kind = .villageCollective; $0.adminCode = "421024101201"; $0.shareBp = 10_000 }]
        return asset
    }

    static let ledger: [[UInt8]] = {
        var frames: [[UInt8]] = []
        for (code, level, parent) in [("421024000000", Taizhang_Ledger_V1_AdminLevel.county, ""), ("421024101000", .township, "421024000000"),
                                      ("421024101201", .village, "421024101000")] {
            frames.append(frame(RPC.Ledger.createAdminUnit.path, Taizhang_Ledger_V1_CreateAdminUnitRequest.with {
                $0.unit.code = code; $0.unit.name = "单位" + code.suffix(3); $0.unit.level = level; $0.unit.parentCode = parent
            }))
        }
        frames.append(frame(RPC.Ledger.createProject.path, Taizhang_Ledger_V1_CreateProjectRequest.with {
            $0.project.id = "JL-2019-001"; $0.project.name = "光伏扶贫项目"; $0.project.year = 2019; $0.project.implementingUnit = "县发改局"
            $0.project.adminCode = "421024101000"
        }))
        frames.append(frame(RPC.Ledger.registerAsset.path, Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = asset }))
        return frames
    }()

    /// One seed per kind of request worth starting from.
    static var corpus: [String: [UInt8]] {
        var seeds: [String: [UInt8]] = [:]
        seeds["health"] = frame(RPC.System.health.path, Taizhang_System_V1_HealthRequest())
        seeds["register"] = frame(RPC.Ledger.registerAsset.path, Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = asset },
                                  metadata: ["idempotency-key": "k1", "actor": "会计"])
        seeds["batch"] = frame(RPC.Ledger.batchRegisterAssets.path, Taizhang_Ledger_V1_BatchRegisterAssetsRequest.with { $0.assets = [asset, asset] })
        seeds["get"] = frame(RPC.Ledger.getAsset.path, Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = "ZC00000001" })
        seeds["list"] = frame(RPC.Ledger.listAssets.path, Taizhang_Ledger_V1_ListAssetsRequest.with { $0.adminCode = "421024101000"; $0.pageSize = 5 })
        seeds["summary"] = frame(RPC.Ledger.getLedgerSummary.path, Taizhang_Ledger_V1_GetLedgerSummaryRequest.with { $0.adminCode = "421024101000" })
        seeds["confirm"] = frame(RPC.Ledger.confirmOwnership.path, Taizhang_Ledger_V1_ConfirmOwnershipRequest.with { $0.assetID = "ZC00000001"; $0.date = "2024-01-31" })
        seeds["income"] = frame(RPC.Ledger.recordIncome.path, Taizhang_Ledger_V1_RecordIncomeRequest.with {
            $0.income.assetID = "ZC00000001"; $0.income.receivedOn = "2026-03-01"; $0.income.amountFen = 10_000; $0.income.payer = "p"; $0.income.account = "a"
        })
        seeds["plan"] = frame(RPC.Ledger.createDistributionPlan.path, Taizhang_Ledger_V1_CreateDistributionPlanRequest.with {
            $0.plan.ownerCode = "421024101201"; $0.plan.incomeIds = ["SY00000001"]; $0.draftedOn = "2026-03-05"
            $0.plan.allocations = [.with { $0.purpose = .noLabourHouseholds; $0.amountFen = 9_000; $0.households = [.with { $0.name = "王五"; $0.amountFen = 9_000 }] },
                                   .with { $0.purpose = .reserve; $0.amountFen = 1_000 }]
        })
        // Once a crash (an overflow in the reserve check, fixed): a plan with huge amounts after its income.
        seeds["plan-huge-amounts"] = frame(RPC.Ledger.recordIncome.path, Taizhang_Ledger_V1_RecordIncomeRequest.with {
            $0.income.assetID = "ZC00000001"; $0.income.receivedOn = "2026-03-01"; $0.income.amountFen = 1; $0.income.payer = "p"; $0.income.account = "a"
        }) + frame(RPC.Ledger.createDistributionPlan.path, Taizhang_Ledger_V1_CreateDistributionPlanRequest.with {
            $0.plan.ownerCode = "421024101201"; $0.plan.incomeIds = ["SY00000001"]; $0.draftedOn = "2026-03-05"
            $0.plan.allocations = [.with { $0.purpose = .noLabourHouseholds; $0.amountFen = Int64.max / 2; $0.households = [.with { $0.name = "王五"; $0.amountFen = Int64.max / 2 }] },
                                   .with { $0.purpose = .reserve; $0.amountFen = Int64.max / 2 }]
        }, callId: 2)
        seeds["count"] = frame(RPC.Ledger.openStockTake.path, Taizhang_Ledger_V1_OpenStockTakeRequest.with { $0.adminCode = "421024101201"; $0.year = 2026; $0.date = "2026-10-01" })
        seeds["dispose"] = frame(RPC.Ledger.disposeAsset.path, Taizhang_Ledger_V1_DisposeAssetRequest.with {
            $0.disposal.assetID = "ZC00000001"; $0.disposal.reason = .planning; $0.disposal.method = .scrap; $0.disposal.date = "2026-10-01"
        })
        seeds["import"] = frame(RPC.Ledger.importAssets.path, Taizhang_Ledger_V1_ImportAssetsRequest.with { $0.importID = "i1"; $0.assets = [asset]; $0.final = true })
        seeds["watch"] = frame(RPC.Risk.watchAlerts.path, Taizhang_Risk_V1_WatchAlertsRequest.with { $0.adminCode = "421024000000" })
        seeds["pipelined"] = (1...3).flatMap { frame(RPC.Ledger.getAsset.path, Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = "ZC00000001" }, callId: UInt64($0)) }
        seeds["cancel"] = frame(RPC.System.health.path, Taizhang_System_V1_HealthRequest(), callId: 7)
            + { () -> [UInt8] in
                var request = Taizhang_Rpc_V1_Request()
                request.callID = 7
                request.cancel = true
                let body = (try? request.serializedBytes() as [UInt8]) ?? []
                return [0, 0, 0, UInt8(body.count)] + body
            }()
        return seeds
    }
}

#if FUZZING
/// libFuzzer's driver (the package's executable keeps its own `main`, so the
/// fuzzer is started from it rather than from libFuzzer's).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// One input (also the symbol libFuzzer's own objects expect).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    Harness.shared.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@main
struct FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        _ = Harness.shared
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}
#else
@main
struct Replay {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--write-seeds", arguments.count == 2 {
            try FileManager.default.createDirectory(atPath: arguments[1], withIntermediateDirectories: true)
            for (name, bytes) in Seeds.corpus {
                try Data(bytes).write(to: URL(fileURLWithPath: arguments[1] + "/" + name))
            }
            print("taizhang-fuzz: wrote \(Seeds.corpus.count) seeds to \(arguments[1])")
            return
        }
        if arguments.isEmpty {
            print("usage: taizhang-fuzz FILE|DIR … (replays each input against an in-process server) | --write-seeds DIR")
            exit(2)
        }
        var inputs = 0
        for path in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                Harness.shared.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
                inputs += 1
            }
        }
        // Still serving after every input?
        Harness.shared.run(Seeds.corpus["health"]!)
        print("taizhang-fuzz: replayed \(inputs) inputs; the server still serves")
    }
}
#endif
