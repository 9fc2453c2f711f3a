// taizhang health | status | methods

import ArgumentParser
import Foundation
import TaizhangProto

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", abstract: "Ask whether taizhangd is serving (exit 0) or not (exit 1).")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.show(RPC.System.health, Taizhang_System_V1_HealthRequest()) { response in
            if response.status == .serving {
                print(global.language == .zh ? "正常服务 (SERVING)" : "SERVING")
            } else {
                print((global.language == .zh ? "暂停服务 (NOT_SERVING): " : "NOT_SERVING: ") + response.reason)
                throw ExitCode(1)
            }
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what a dashboard polls: uptime, storage, record counts, calls by method.",
                                                    discussion: "With --watch, clears the terminal and shows it again every --interval seconds until interrupted (or --count times).")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("watch"), help: "Refresh the view every --interval seconds.") var watch = false
    @Option(name: .customLong("interval"), help: "Seconds between refreshes with --watch (0.2 … 3600).") var interval = 2.0
    @Option(name: .customLong("count"), help: "With --watch: stop after this many views (0: until interrupted).") var count = 0

    static let columns: [Column<Taizhang_System_V1_MethodStats>] = [
        Column("方法", "method") { $0.method }, .number("调用", "served") { $0.served }, .number("失败", "failed") { $0.failed },
        .number("p50 µs", "p50 µs") { $0.latencyP50Micros }, .number("p99 µs", "p99 µs") { $0.latencyP99Micros },
    ]

    func validate() throws {
        // Exit code 2, as every bad command line of taizhang.
        if !(0.2...3600).contains(interval) { printError("--interval must be 0.2 … 3600 seconds"); throw ExitCode(2) }
        if count < 0 { printError("--count must not be negative"); throw ExitCode(2) }
    }

    func run() async throws {
        let client = try await global.connect()
        defer { Task { await client.close() } }
        var shown = 0
        repeat {
            let status = try await global.call(client, RPC.System.status, Taizhang_System_V1_StatusRequest(),
                                               as: Taizhang_System_V1_StatusResponse.self)
            if global.json {
                try global.printJSON(status)
            } else {
                // Home and clear the screen before each view when watching a terminal.
                if watch, isatty(STDOUT_FILENO) != 0 { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                show(status)
            }
            fflush(nil)
            shown += 1
            if !watch || (count > 0 && shown >= count) { break }
            try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        } while true
    }

    func show(_ status: Taizhang_System_V1_StatusResponse) {
        let zh = global.language == .zh
        print("taizhangd \(status.version)  \(zh ? "运行" : "up") \(status.uptimeSeconds) s  \(zh ? "连接" : "connections") \(status.openConnections)  \(zh ? "进行中调用" : "calls in flight") \(status.callsInFlight)")
        print("\(zh ? "存储" : "storage") \(status.storageBackend) \(status.storageBytes) bytes  \(zh ? "审计链头" : "audit head") \(status.auditHeadSeq):\(status.auditHeadHash)")
        let counts = status.recordCounts
        print("\(zh ? "行政区划" : "admin units") \(counts["admin_unit"] ?? 0)  \(zh ? "项目" : "projects") \(counts["project"] ?? 0)  \(zh ? "资产" : "assets") \(counts["asset"] ?? 0)  \(zh ? "审计条目" : "audit entries") \(counts["audit_entry"] ?? 0)")
        if !status.methods.isEmpty { print(Table(Self.columns, status.methods, global.language).render()) }
        if status.hasLastRiskRun {
            let run = status.lastRiskRun
            let red = status.alertsByLevel["red"] ?? 0, yellow = status.alertsByLevel["yellow"] ?? 0
            if !run.enabled {
                print(zh ? "风险监测：已关闭" : "risk monitor: off")
            } else if !run.leading {
                let leader = run.leader.isEmpty ? (zh ? "未知" : "not yet known") : run.leader
                print(zh ? "风险监测：由共享台账的另一守护进程运行（\(leader)）；在报预警 红灯 \(red)、黄灯 \(yellow)"
                         : "risk monitor: runs on another daemon of the shared ledger (\(leader)); open alerts red \(red), yellow \(yellow)")
            } else if run.finishedAt.isEmpty {
                print(zh ? "风险监测：尚未运行" : "risk monitor: no run yet")
            } else {
                let trigger = run.focused ? run.trigger + (zh ? "，仅所涉记录" : ", focused") : run.trigger
                print(zh ? "风险监测：\(run.finishedAt) 第\(run.runs)次（\(trigger)）用时 \(run.durationMicros / 1000) ms，评估主体 \(run.scored) 个、资产 \(run.assetsChecked) 项；新增 \(run.raised)、变更 \(run.changed)、解除 \(run.cleared)；在报预警 红灯 \(red)、黄灯 \(yellow)"
                         : "risk monitor: run \(run.runs) (\(trigger)) at \(run.finishedAt) took \(run.durationMicros / 1000) ms, \(run.scored) entities and \(run.assetsChecked) assets; raised \(run.raised), changed \(run.changed), cleared \(run.cleared); open alerts red \(red), yellow \(yellow)")
            }
            print("\(zh ? "带贫主体" : "operating entities") \(counts["entity"] ?? 0)  \(zh ? "经营合同" : "contracts") \(counts["contract"] ?? 0)  \(zh ? "季度报表" : "quarterly reports") \(counts["report"] ?? 0)")
        }
        for warning in status.warnings {
            print("\(zh ? "警告" : "warning"): \(warning)")
        }
    }
}

struct MethodsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "methods", abstract: "List every method taizhangd serves, with its message types.")
    @OptionGroup var global: GlobalOptions

    static let columns: [Column<Taizhang_System_V1_MethodDescriptor>] = [
        Column("方法", "method") { $0.name }, Column("请求", "request") { $0.requestType }, Column("响应", "response") { $0.responseType },
        .label("类型", "kind") { method, language in
            [method.mutation ? (language == .zh ? "变更" : "mutation") : (language == .zh ? "查询" : "read"),
             method.serverStreaming ? "stream" : ""].filter { !$0.isEmpty }.joined(separator: ", ")
        },
    ]

    func run() async throws {
        var response = try await global.once(RPC.System.listMethods, Taizhang_System_V1_ListMethodsRequest())
        // --json prints the methods without their descriptors (those are for `taizhang call`).
        response.fileDescriptorSet = Data()
        try global.present(response) { print(Table(Self.columns, $0.methods, global.language).render()) }
    }
}
