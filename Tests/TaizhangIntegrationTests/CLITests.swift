// The taizhang CLI against the real daemon: the demo county, tables, JSON,
// the descriptor-driven `call`, and exit codes.

import Foundation
import Testing
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct CLITests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the taizhang binary beside taizhangd and waits for it.
    static func taizhang(_ arguments: [String], socket: String) throws -> Run {
        try run((DaemonProcess.binary as NSString).deletingLastPathComponent + "/taizhang", arguments + (socket.isEmpty ? [] : ["--socket", socket]))
    }

    /// Runs `executable` to its end; its status and what it printed.
    static func run(_ executable: String, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The demo's year of lights: the last year whose fourth quarter is judged.
    static var demoSupervisionYear: Int {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Asia/Shanghai")!, from: Date())
        return parts.month! == 1 && parts.day! < 10 ? parts.year! - 2 : parts.year! - 1
    }

    @Test func demoCounty_loadsOnceWithTheShapeOfSeed003() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let load = try Self.taizhang(["demo", "load"], socket: daemon.socketPath)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("721 项资产（经营性 214，公益性 497，到户类 10）"))
        // Five responsible units over a year's four quarters: some green, yellows, reds (docs/supervision.md).
        #expect(load.stdout.contains("责任单位 5 个，四个季度亮绿灯 14 次、黄灯 3 次、红灯 3 次"), "\(load.stdout)")
        // The register (issue 23): six households a village, the priority households paid by the plans carried out, one visit disputed.
        #expect(load.stdout.contains("帮扶对象 288 户") && load.stdout.contains("（有异议 1 次）"), "\(load.stdout)")
        let lights = try Self.taizhang(["supervision", "lights", "DW00000003", "--year", "\(Self.demoSupervisionYear)", "--lang", "en"], socket: daemon.socketPath)
        #expect(lights.stdout.components(separatedBy: "\n").filter { $0.contains("Q") }.compactMap { line in
            ["green", "yellow", "red"].first { line.contains(" \($0) ") }
        } == ["green", "yellow", "red", "red"], "\(lights.stdout)")
        let again = try Self.taizhang(["demo", "load", "--lang", "en"], socket: daemon.socketPath)
        #expect(again.status == 0)
        #expect(again.stdout.contains("already loaded"))
        // Two public-welfare assets were disposed of (a stock-take loss and a sale): out of the active ledger.
        for (category, count) in [("operating", 214), ("public_welfare", 495), ("household", 10)] {
            let list = try Self.taizhang(["asset", "list", "--category", category, "--page-size", "1", "--json"], socket: daemon.socketPath)
            let page = try Taizhang_Ledger_V1_ListAssetsResponse(jsonString: list.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(page.totalSize == Int64(count))
        }
        let disposed = try Self.taizhang(["asset", "list", "--stage", "disposed", "--page-size", "1", "--json"], socket: daemon.socketPath)
        #expect(try Taizhang_Ledger_V1_ListAssetsResponse(jsonString: disposed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).totalSize == 2)
        let verify = try Self.taizhang(["audit", "verify"], socket: daemon.socketPath)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("审计链完整"))
    }

    @Test func globalOptions_workBeforeOrAfterTheSubcommand_andAuditShowPrintsOneEntry() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let seeded = try Self.taizhang(["admin", "create", "--code", "421024000000", "--name", "公安县", "--level", "county"], socket: daemon.socketPath)
        #expect(seeded.status == 0, "\(seeded.stderr)")
        // The same call with the options before, after, and on both sides of the subcommand.
        for arguments in [["--socket", daemon.socketPath, "--lang", "en", "admin", "list"],
                          ["--socket=\(daemon.socketPath)", "admin", "list", "--lang", "en"],
                          ["--lang", "en", "admin", "list", "--socket", daemon.socketPath]] {
            let listed = try Self.taizhang(arguments, socket: "")
            #expect(listed.status == 0, "\(arguments): \(listed.stderr)")
            #expect(listed.stdout.contains("公安县") && listed.stdout.hasPrefix("code"), "\(arguments): \(listed.stdout)")
        }
        let json = try Self.taizhang(["--json", "--socket", daemon.socketPath, "audit", "show", "1"], socket: "")
        #expect(json.status == 0, "\(json.stderr)")
        let entry = try Taizhang_Ledger_V1_AuditEntry(jsonString: json.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(entry.seq == 1 && entry.recordID == "421024000000" && entry.afterJson.contains("公安县") && entry.method == RPC.Ledger.createAdminUnit.path)
        let zh = try Self.taizhang(["audit", "show", "1"], socket: daemon.socketPath)
        #expect(zh.stdout.contains("序号: 1") && zh.stdout.contains("记录: admin_unit:421024000000"), "\(zh.stdout)")
        let missing = try Self.taizhang(["audit", "show", "99"], socket: daemon.socketPath)
        #expect(missing.status == 15 && missing.stderr.contains("no audit entry #99 exists; the journal's head is #1"), "\(missing.stderr)")
        let unknown = try Self.taizhang(["--bogus", "admin", "list"], socket: daemon.socketPath)
        #expect(unknown.status == 64 || unknown.status == 2, "an unknown option before the subcommand is still refused")
    }

    @Test func tables_areChineseByDefaultAndEnglishOnRequest() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        _ = try Self.taizhang(["demo", "load"], socket: daemon.socketPath)
        let zh = try Self.taizhang(["asset", "list", "--admin", "421024101000", "--page-size", "3"], socket: daemon.socketPath)
        #expect(zh.stdout.hasPrefix("编号"))
        #expect(zh.stdout.contains("原值(元)"))
        let en = try Self.taizhang(["asset", "list", "--page-size", "3", "--lang", "en"], socket: daemon.socketPath)
        #expect(en.stdout.hasPrefix("id"))
        #expect(en.stdout.contains("719 assets match; 3 shown")) // 721 less the two disposed of
    }

    @Test func call_encodesAnyMethodFromTheServersDescriptors() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        _ = try Self.taizhang(["demo", "load"], socket: daemon.socketPath)
        let get = try Self.taizhang(["call", "Ledger/GetAsset", #"{"id": "ZC00000002"}"#], socket: daemon.socketPath)
        #expect(get.status == 0, "\(get.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(get.stdout.utf8)) as? [String: Any]
        #expect(json?["id"] as? String == "ZC00000002")
        #expect(json?["category"] as? String == "OPERATING")
        let bad = try Self.taizhang(["call", "Ledger/RegisterAsset", #"{"asset": {"name": "x", "original_value_fen": -1}}"#], socket: daemon.socketPath)
        #expect(bad.status == 13)
        #expect(bad.stdout.contains("INVALID_ARGUMENT"))
        #expect(bad.stdout.contains("asset.original_value_fen"))
        let unknownField = try Self.taizhang(["call", "Ledger/GetAsset", #"{"nope": 1}"#], socket: daemon.socketPath)
        #expect(unknownField.status == 2)
        #expect(unknownField.stderr.contains("no field \"nope\""))
    }

    @Test func exitCodes_sayWhatWentWrong() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let missing = try Self.taizhang(["asset", "get", "ZC09999999"], socket: daemon.socketPath)
        #expect(missing.status == 15)
        #expect(missing.stderr.contains("ZC09999999"))
        let unreachable = try Self.taizhang(["health"], socket: daemon.dataDirectory + "/no-such.sock")
        #expect(unreachable.status == 3)
        #expect(unreachable.stderr.contains("cannot reach taizhangd"))
        let healthy = try Self.taizhang(["health"], socket: daemon.socketPath)
        #expect(healthy.status == 0)
    }

    @Test func auditVerify_exitsFourWhenTheJournalWasEdited() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        _ = try Self.taizhang(["demo", "load"], socket: daemon.socketPath)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [daemon.dataDirectory + "/taizhang.db", "UPDATE audit_journal SET after_json = replace(after_json, '982279', '982280') WHERE seq = 138"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        let verify = try Self.taizhang(["audit", "verify", "--lang", "en"], socket: daemon.socketPath)
        #expect(verify.status == 4)
        #expect(verify.stdout.contains("BROKEN at entry 138"))
    }
}
