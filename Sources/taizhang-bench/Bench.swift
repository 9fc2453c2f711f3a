// taizhang-bench: a load generator for taizhangd over the Unix socket.
// Keeps a fixed number of calls in flight per connection on one event loop
// thread and reports calls/s and latency percentiles. Used by scripts/bench.

import Foundation
import NIOCore
import NIOPosix
import SwiftProtobuf
import TaizhangDemo
import TaizhangProto
import TaizhangWire

@main
struct Bench {
    /// GetAsset requests: with `randomIds` N, each for one of
    /// ZC00000001…N drawn uniformly (65,536 made beforehand, used in turn);
    /// else one for `assetId`.
    static func getPayloads(randomIds: Int, assetId: String) throws -> [Data] {
        var payloads: [Data] = []
        var random = SplitMix(seed: 19)
        for _ in 0..<(randomIds > 0 ? 65_536 : 1) {
            var get = Taizhang_Ledger_V1_GetAssetRequest()
            get.id = randomIds > 0 ? String(format: "ZC%08d", Int(random.next() % UInt64(randomIds)) + 1) : assetId
            payloads.append(try get.serializedData())
        }
        return payloads
    }

    /// ProveRecord requests for ZC00000001…N drawn uniformly (65,536 made
    /// beforehand), each against the newest signed head.
    static func provePayloads(randomIds: Int) throws -> [Data] {
        var random = SplitMix(seed: 23)
        return try (0..<65_536).map { _ in
            try Taizhang_Ledger_V1_ProveRecordRequest.with {
                $0.recordID = String(format: "ZC%08d", Int(random.next() % UInt64(max(1, randomIds))) + 1)
            }.serializedData()
        }
    }

    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String, _ fallback: String) -> String {
            if let index = arguments.firstIndex(of: name), index + 1 < arguments.count {
                let value = arguments[index + 1]
                arguments.removeSubrange(index...index + 1)
                return value
            }
            return fallback
        }
        let socket = option("--socket", "")
        let scenario = option("--scenario", "get")
        let connections = Int(option("--connections", "1"))!
        let depth = Int(option("--depth", "1"))!
        let seconds = Double(option("--seconds", "5"))!
        let assetId = option("--id", "ZC00000001")
        let total = Int(option("--assets", "100000"))!
        let batchSize = Int(option("--batch", "5000"))!
        let adminCode = option("--admin", "")
        if scenario == "transparency" {
            return try TransparencyBench.run(directory: option("--dir", NSTemporaryDirectory() + "tz-transparency"),
                                             leaves: Int(option("--leaves", "10000000"))!, proofs: Int(option("--proofs", "1000"))!)
        }
        guard !socket.isEmpty else {
            FileHandle.standardError.write(Data("usage: taizhang-bench --socket PATH --scenario get|prove|register|batch|summary|list|sizes|risk|supervision|households-csv|payment-plans|transparency [--connections N --depth N --seconds S] [get: --id ID | --random-ids N] [summary, list: --admin CODE] [list: --page-size N --skip-total 1] [register: --keyed 1]\n".utf8))
            exit(2)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        switch scenario {
        case "get", "prove":  // GetAsset, or ProveRecord (issue 24) against the newest signed head
            let random = Int(option("--random-ids", scenario == "get" ? "0" : "721"))!
            let table = scenario == "get" ? try getPayloads(randomIds: random, assetId: assetId) : try provePayloads(randomIds: random)
            try load(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                     method: scenario == "get" ? RPC.Ledger.getAsset.path : RPC.Ledger.proveRecord.path) { table[Int($0 % UInt64(table.count))] }
        case "register":
            var asset = DemoCounty().assets[1]
            asset.code = ""
            var register = Taizhang_Ledger_V1_RegisterAssetRequest()
            register.asset = asset
            let payload = try register.serializedData()
            // --keyed 1: each call with its own idempotency-key, as a county system sends them.
            try load(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                     method: RPC.Ledger.registerAsset.path, keyed: option("--keyed", "0") == "1") { _ in payload }
        case "batch":
            try bulk(group: group, socket: socket, total: total, batchSize: batchSize, depth: depth)
        case "summary":
            // A ledger view: totals (and so every asset's net value) as of a date.
            var summary = Taizhang_Ledger_V1_GetLedgerSummaryRequest()
            summary.adminCode = adminCode
            summary.asOf = option("--as-of", "2026-12-31")
            let payload = try summary.serializedData()
            try load(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                     method: RPC.Ledger.getLedgerSummary.path) { _ in payload }
        case "list":
            // A unit's first page of assets (--admin CODE, --page-size N;
            // --skip-total 1 leaves the total out), as a dashboard opens it.
            var list = Taizhang_Ledger_V1_ListAssetsRequest()
            list.adminCode = adminCode
            list.pageSize = Int32(option("--page-size", "50"))!
            list.skipTotal = option("--skip-total", "0") == "1"
            let payload = try list.serializedData()
            try load(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                     method: RPC.Ledger.listAssets.path) { _ in payload }
        case "risk":
            try risk(group: group, socket: socket, entities: Int(option("--entities", "10000"))!, quarters: Int(option("--quarters", "8"))!, runs: Int(option("--runs", "5"))!)
        case "supervision":
            try supervision(group: group, socket: socket, units: Int(option("--units", "40"))!, projects: Int(option("--projects", "50"))!, payments: Int(option("--payments", "40"))!)
        case "households-csv":
            try householdFiles(group: group, socket: socket, households: Int(option("--households", "100000"))!,
                               inVillage: Int(option("--village-households", "2000"))!, directory: option("--out", "."))
        case "payment-plans":
            try paymentPlans(group: group, socket: socket, plans: Int(option("--plans", "24"))!)
        case "sizes":
            try sizes(group: group, socket: socket, assetId: assetId)
        default:
            FileHandle.standardError.write(Data("unknown scenario \(scenario)\n".utf8))
            exit(2)
        }
    }

    /// Prints the frame sizes of one GetAsset call (for the C floor).
    static func sizes(group: MultiThreadedEventLoopGroup, socket: String, assetId: String) throws {
        var get = Taizhang_Ledger_V1_GetAssetRequest()
        get.id = assetId
        var request = Taizhang_Rpc_V1_Request()
        request.callID = 1_000_000
        request.method = RPC.Ledger.getAsset.path
        request.payload = try get.serializedData()
        let payload = request.payload
        let responses = try run(group: group, socket: socket, connections: 1, depth: 1, seconds: 0.2,
                                method: request.method) { _ in payload }
        print("request_frame_bytes=\(4 + (try request.serializedBytes() as [UInt8]).count) response_frame_bytes=\(responses.lastFrameBytes)")
    }

    static func load(group: MultiThreadedEventLoopGroup, socket: String, connections: Int, depth: Int, seconds: Double,
                     method: String, keyed: Bool = false, payload: @escaping @Sendable (UInt64) -> Data) throws {
        let result = try run(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                             method: method, keyed: keyed, payload: payload)
        var latencies = result.latenciesNanos
        latencies.sort()
        func percentile(_ q: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]) / 1000
        }
        let rate = Double(result.completed) / result.elapsedSeconds
        print(String(format: "calls=%d failed=%d seconds=%.2f calls_per_s=%.0f p50_us=%.0f p99_us=%.0f p999_us=%.0f",
                     result.completed, result.failed, result.elapsedSeconds, rate, percentile(0.5), percentile(0.99), percentile(0.999)))
    }

    struct RunResult {
        var completed = 0
        var failed = 0
        var elapsedSeconds = 0.0
        var latenciesNanos: [UInt64] = []
        var lastFrameBytes = 0
        /// The payload of the last successful response.
        var lastPayload = Data()
    }

    static func run(group: MultiThreadedEventLoopGroup, socket: String, connections: Int, depth: Int, seconds: Double,
                    method: String, maxCalls: UInt64 = .max, keyed: Bool = false, payload: @escaping @Sendable (UInt64) -> Data) throws -> RunResult {
        let run = UInt64.random(in: 1...UInt64.max)
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        var futures: [EventLoopFuture<RunResult>] = []
        for connection in 0..<connections {
            let keyPrefix = keyed ? "bench-\(run)-\(connection)-" : nil
            let promise = group.next().makePromise(of: RunResult.self)
            let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(frameMaxBytes: 64 << 20)))
                    try channel.pipeline.syncOperations.addHandler(LoadHandler(method: method, depth: depth, endNanos: end,
                                                                               maxCalls: maxCalls, keyPrefix: keyPrefix, payload: payload, done: promise))
                }
            }
            _ = try bootstrap.connect(unixDomainSocketPath: socket).wait()
            futures.append(promise.futureResult)
        }
        var total = RunResult()
        for future in futures {
            let part = try future.wait()
            total.completed += part.completed
            total.failed += part.failed
            total.latenciesNanos += part.latenciesNanos
            total.lastFrameBytes = part.lastFrameBytes
            total.lastPayload = part.lastPayload
        }
        total.elapsedSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return total
    }

    /// The risk monitor over `entities` operating entities with `quarters`
    /// quarters of reports each, on a fresh daemon: builds the ledger through
    /// the API (assets, entities, contracts, reports; pipelined), then runs the
    /// monitor `runs` times and reports each run's duration as the daemon
    /// measured it. The first run raises the alerts; the others rescan
    /// everything and find nothing new. With no quarters it only builds the
    /// ledger (entities whose reports are all missing: the next run raises
    /// alerts for every one of them, the monitoring agent's burst).
    static func risk(group: MultiThreadedEventLoopGroup, socket: String, entities: Int, quarters: Int, runs: Int) throws {
        func phase(_ name: String, _ method: String, _ payloads: [Data], depth: Int = 64) throws {
            let result = try run(group: group, socket: socket, connections: 1, depth: depth, seconds: 3600, method: method,
                                 maxCalls: UInt64(payloads.count)) { payloads[Int($0)] }
            print(String(format: "risk: %@ %d calls, %d failed, %.2f s", name, result.completed, result.failed, result.elapsedSeconds))
            if result.failed > 0 { exit(1) }
        }
        let (units, villages) = try riskUnits()
        try phase("admin units", RPC.Ledger.createAdminUnit.path, units, depth: 1)
        var project = Taizhang_Ledger_V1_CreateProjectRequest()
        project.project.id = "RISK-BENCH"
        project.project.name = "产业扶贫项目"
        project.project.year = 2020
        project.project.implementingUnit = "县农业农村局"
        project.project.adminCode = "421024000000"
        try phase("project", RPC.Ledger.createProject.path, [try project.serializedData()], depth: 1)
        let batches = try riskAssets(entities, villages: villages)
        try phase("assets", RPC.Ledger.batchRegisterAssets.path, batches, depth: 2)
        var entityPayloads: [Data] = []
        for index in 0..<entities {
            var request = Taizhang_Ledger_V1_CreateEntityRequest()
            request.entity.name = "带贫主体\(index)"
            request.entity.kind = .entityLargeHousehold
            request.entity.adminCode = villages[index % villages.count]
            entityPayloads.append(try request.serializedData())
        }
        try phase("entities", RPC.Ledger.createEntity.path, entityPayloads)
        // Quarters: the `quarters` before the current one (China Standard Time).
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let today = calendar.dateComponents([.year, .month, .day], from: Date())
        let current = today.year! * 4 + (today.month! - 1) / 3
        // Without quarters (the agent's burst): contracts from two quarters back, no reports.
        let chosen = (1...max(1, quarters)).reversed().map { back -> (Int, Int) in ((current - back - (quarters == 0 ? 1 : 0)) / 4, (current - back - (quarters == 0 ? 1 : 0)) % 4 + 1) }
        let todayText = String(format: "%04d-%02d-%02d", today.year!, today.month!, today.day!)
        let first = chosen[0]
        var contracts: [Data] = []
        for index in 0..<entities {
            var request = Taizhang_Ledger_V1_CreateContractRequest()
            request.contract.assetID = String(format: "ZC%08d", index + 1)
            request.contract.entityID = String(format: "ZT%08d", index + 1)
            request.contract.mode = .lease
            request.contract.start = String(format: "%04d-%02d-01", first.0, (first.1 - 1) * 3 + 1)
            request.contract.end = "\(today.year! + 5)-12-31"
            request.contract.committedPoorLabourers = 5
            request.contract.committedHouseholds = 10
            contracts.append(try request.serializedData())
        }
        try phase("contracts", RPC.Ledger.createContract.path, contracts)
        guard quarters > 0 else { return }
        let reports = try riskReports(entities, quarters: chosen, submittedOn: todayText)
        try phase("reports", RPC.Ledger.submitReport.path, reports)
        try riskLatency(group: group, socket: socket, entities: entities, quarter: chosen[chosen.count - 1], submittedOn: todayText)
        for number in 1...max(1, runs) {
            let result = try run(group: group, socket: socket, connections: 1, depth: 1, seconds: 3600,
                                 method: RPC.Risk.runMonitor.path, maxCalls: 1) { _ in Data() }
            let summary = try Taizhang_Risk_V1_MonitorRun(serializedBytes: result.lastPayload)
            print(String(format: "risk: run %d entities=%llu assets=%llu raised=%llu changed=%llu cleared=%llu open=%llu duration_ms=%.1f",
                         number, summary.entitiesScored, summary.assetsChecked, summary.raised, summary.changed, summary.cleared,
                         summary.openAlerts, Double(summary.durationMicros) / 1000))
        }
    }

    /// One call on a connection of its own; the answer's payload.
    static func call(group: MultiThreadedEventLoopGroup, socket: String, _ method: String, _ payload: Data) throws -> Data {
        let result = try run(group: group, socket: socket, connections: 1, depth: 1, seconds: 60, method: method, maxCalls: 1) { _ in payload }
        if result.failed > 0 { throw BenchFailure(text: "\(method) failed") }
        return result.lastPayload
    }

    struct BenchFailure: Error { let text: String }

    /// From a report correction's acknowledgement until the monitor's run
    /// after it has finished and the entity's light has changed: five
    /// entities that met their targets, each corrected to a miss of the last
    /// quarter (a yellow light), on the ledger of `entities` entities.
    private static func riskLatency(group: MultiThreadedEventLoopGroup, socket: String, entities: Int, quarter: (Int, Int),
                                    submittedOn: String) throws {
        var latencies: [Double] = []
        for sample in 0..<5 {
            let index = (sample * 7919 * 10 + 5) % max(10, entities - entities % 10)
            let entity = String(format: "ZT%08d", index + 1)
            var correction = Taizhang_Ledger_V1_SubmitReportRequest()
            correction.report.entityID = entity
            correction.report.quarter = "\(quarter.0)Q\(quarter.1)"
            correction.report.targetOutputValueFen = 10_000_000
            correction.report.targetSalesRevenueFen = 8_000_000
            correction.report.outputValueFen = 5_000_000
            correction.report.salesRevenueFen = 4_000_000
            correction.report.salesChannels = ["电商", "商超"]
            correction.report.profitFen = 500_000
            correction.report.poorLabourersEmployed = 5
            correction.report.householdsLinked = 10
            correction.report.supportMeasures = ["技能培训"]
            correction.report.submittedOn = submittedOn
            correction.report.correctionReason = "产值统计有误"
            let runsBefore = try Taizhang_System_V1_StatusResponse(
                serializedBytes: try call(group: group, socket: socket, RPC.System.status.path, Data())).lastRiskRun.runs
            _ = try call(group: group, socket: socket, RPC.Ledger.submitReport.path, try correction.serializedData())
            let acknowledged = DispatchTime.now().uptimeNanoseconds
            var alerts = Taizhang_Risk_V1_ListAlertsRequest()
            alerts.subjectID = entity
            alerts.kind = "entity_targets"
            alerts.state = .open
            while true {
                let status = try Taizhang_System_V1_StatusResponse(
                    serializedBytes: try call(group: group, socket: socket, RPC.System.status.path, Data())).lastRiskRun
                if !status.changesPending, status.runs > runsBefore { break }
                if DispatchTime.now().uptimeNanoseconds - acknowledged > 10_000_000_000 { throw BenchFailure(text: "no run within 10 s") }
            }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - acknowledged) / 1e6)
            // The run stored the light before it counted as done.
            let open = try Taizhang_Risk_V1_ListAlertsResponse(
                serializedBytes: try call(group: group, socket: socket, RPC.Risk.listAlerts.path, try alerts.serializedData()))
            guard open.alerts.contains(where: { $0.level == .yellow }) else { throw BenchFailure(text: "\(entity): no yellow light after the run") }
        }
        print("risk: a report corrected to a miss, until its entity's light is yellow (ms): "
              + latencies.map { String(format: "%.1f", $0) }.joined(separator: " "))
    }

    /// A county, 10 townships, 10 villages each: the requests and the villages' codes.
    static func riskUnits() throws -> ([Data], [String]) {
        var units: [Data] = []
        func unit(_ code: String, _ name: String, _ level: Taizhang_Ledger_V1_AdminLevel, _ parent: String) throws -> Data {
            var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
            request.unit.code = code
            request.unit.name = name
            request.unit.level = level
            request.unit.parentCode = parent
            return try request.serializedData()
        }
        units.append(try unit("421024000000", "江陵县", .county, ""))
        var villages: [String] = []
        for t in 0..<10 {
            let township = "421024\(100 + t)000"
            units.append(try unit(township, "镇\(t)", .township, "421024000000"))
            for v in 0..<10 {
                let village = "421024\(100 + t)\(201 + v)"
                units.append(try unit(village, "村\(t)-\(v)", .village, township))
                villages.append(village)
            }
        }
        return (units, villages)
    }

    /// The assets, in batches of 5,000: ids ZC00000001… in order on a fresh daemon.
    private static func riskAssets(_ entities: Int, villages: [String]) throws -> [Data] {
        var batches: [Data] = []
        var offset = 0
        while offset < entities {
            var batch = Taizhang_Ledger_V1_BatchRegisterAssetsRequest()
            for index in offset..<min(offset + 5000, entities) {
                var asset = Taizhang_Ledger_V1_Asset()
                asset.name = "产业扶贫基地\(index)"
                asset.category = .operating
                asset.subType = "种养殖基地"
                asset.projectID = "RISK-BENCH"
                asset.adminCode = villages[index % villages.count]
                asset.acquiredDate = "2020-06-30"
                asset.usefulLifeYears = 20
                asset.originalValueFen = 50_000_000
                var funding = Taizhang_Ledger_V1_Funding()
                funding.source = .centralSpecial
                funding.amountFen = 50_000_000
                asset.funding = [funding]
                var owner = Taizhang_Ledger_V1_Owner()
                owner.name = "村股份经济合作社"
                owner.kind = .villageCollective
                owner.adminCode = asset.adminCode
                owner.shareBp = 10_000
                asset.owners = [owner]
                batch.assets.append(asset)
            }
            batches.append(try batch.serializedData())
            offset += 5000
        }
        return batches
    }

    /// Each entity's reports for `quarters`.
    private static func riskReports(_ entities: Int, quarters chosen: [(Int, Int)], submittedOn todayText: String) throws -> [Data] {
        var reports: [Data] = []
        for index in 0..<entities {
            for (position, quarter) in chosen.enumerated() {
                // 1 in 10 entities missed its last two quarters (red), 2 in 10 its last one (yellow).
                let missed = (index % 10 == 0 && position >= chosen.count - 2) || (index % 10 < 3 && index % 10 > 0 && position == chosen.count - 1)
                var request = Taizhang_Ledger_V1_SubmitReportRequest()
                request.report.entityID = String(format: "ZT%08d", index + 1)
                request.report.quarter = "\(quarter.0)Q\(quarter.1)"
                request.report.targetOutputValueFen = 10_000_000
                request.report.targetSalesRevenueFen = 8_000_000
                request.report.outputValueFen = missed ? 5_000_000 : 11_000_000
                request.report.salesRevenueFen = missed ? 4_000_000 : 9_000_000
                request.report.salesChannels = ["电商", "商超"]
                request.report.profitFen = missed ? -100_000 : 500_000
                request.report.poorLabourersEmployed = 5
                request.report.householdsLinked = 10
                request.report.supportMeasures = ["技能培训"]
                request.report.submittedOn = todayText
                reports.append(try request.serializedData())
            }
        }
        return reports
    }

    /// Registers `total` assets in batches, `depth` batches in flight (2 lets
    /// the server validate one batch while it commits the other), and reports seconds.
    static func bulk(group: MultiThreadedEventLoopGroup, socket: String, total: Int, batchSize: Int, depth: Int) throws {
        let demo = DemoCounty(operating: total * 30 / 100, publicWelfare: total - total * 30 / 100 - total / 100, household: total / 100, seed: 7)
        var frames: [Data] = []
        var offset = 0
        while offset < demo.assets.count {
            var batch = Taizhang_Ledger_V1_BatchRegisterAssetsRequest()
            batch.assets = demo.assets[offset..<min(offset + batchSize, demo.assets.count)].enumerated().map { index, asset in
                var copy = asset
                copy.code = "BULK-\(offset + index)"
                return copy
            }
            frames.append(try batch.serializedData())
            offset += batchSize
        }
        let batches = frames
        let result = try run(group: group, socket: socket, connections: 1, depth: depth, seconds: 3600,
                             method: RPC.Ledger.batchRegisterAssets.path, maxCalls: UInt64(batches.count)) { call in
            batches[Int(call)]
        }
        print(String(format: "assets=%d batches=%d failed=%d seconds=%.2f assets_per_s=%.0f",
                     demo.assets.count, result.completed, result.failed, result.elapsedSeconds,
                     Double(demo.assets.count) / result.elapsedSeconds))
    }
}

/// Keeps `depth` calls in flight on one connection until the end time.
final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let method: String
    private let depth: Int
    private let endNanos: UInt64
    private let maxCalls: UInt64
    private let payload: @Sendable (UInt64) -> Data
    /// Each call's idempotency-key is this and its call id (nil: none).
    private let keyPrefix: String?
    private let done: EventLoopPromise<Bench.RunResult>
    /// Calls sent so far; call ids are 1, 2, … (0 is reserved by the protocol).
    private var sent: UInt64 = 0
    private var sentAt: [UInt64: UInt64] = [:]
    private var result = Bench.RunResult()
    private var finished = false

    init(method: String, depth: Int, endNanos: UInt64, maxCalls: UInt64, keyPrefix: String? = nil, payload: @escaping @Sendable (UInt64) -> Data,
         done: EventLoopPromise<Bench.RunResult>) {
        self.keyPrefix = keyPrefix
        self.method = method
        self.depth = depth
        self.endNanos = endNanos
        self.maxCalls = maxCalls
        self.payload = payload
        self.done = done
        result.latenciesNanos.reserveCapacity(1 << 20)
    }

    func channelActive(context: ChannelHandlerContext) {
        for _ in 0..<min(UInt64(depth), maxCalls) { send(context: context) }
        context.flush()
    }

    private func send(context: ChannelHandlerContext) {
        var request = Taizhang_Rpc_V1_Request()
        request.callID = sent + 1
        request.method = method
        request.payload = payload(sent)
        if let keyPrefix { request.metadata["idempotency-key"] = keyPrefix + String(request.callID) }
        sentAt[request.callID] = DispatchTime.now().uptimeNanoseconds
        sent += 1
        let frame = try! Frames.encode(request, allocator: context.channel.allocator)
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let body = unwrapInboundIn(data)
        let now = DispatchTime.now().uptimeNanoseconds
        guard let response = try? Frames.decode(Taizhang_Rpc_V1_Response.self, from: body) else { return }
        result.lastFrameBytes = 4 + body.readableBytes
        if let sent = sentAt.removeValue(forKey: response.callID) {
            result.latenciesNanos.append(now - sent)
        }
        if response.hasStatus, response.status.code != .ok {
            result.failed += 1
            if result.failed == 1 {
                let fields = response.status.violations.map { "\($0.field): \($0.description_p)" }.joined(separator: "; ")
                FileHandle.standardError.write(Data("first failure: \(response.status.code) \(response.status.message) \(fields)\n".utf8))
            }
        } else {
            result.completed += 1
            result.lastPayload = response.payload
        }
        if now < endNanos, sent < maxCalls {
            send(context: context)
        } else if sentAt.isEmpty, !finished {
            finished = true
            done.succeed(result)
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !finished {
            finished = true
            done.fail(error)
        }
        context.close(promise: nil)
    }
}
