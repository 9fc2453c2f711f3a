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
        let asOf = option("--as-of", "2026-12-31")
        guard !socket.isEmpty else {
            FileHandle.standardError.write(Data("usage: taizhang-bench --socket PATH --scenario get|register|batch|summary|sizes [--connections N --depth N --seconds S]\n".utf8))
            exit(2)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        switch scenario {
        case "get":
            var get = Taizhang_Ledger_V1_GetAssetRequest()
            get.id = assetId
            let payload = try get.serializedData()
            try load(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                     method: "/taizhang.ledger.v1.Ledger/GetAsset") { _ in payload }
        case "register":
            var asset = DemoCounty().assets[1]
            asset.code = ""
            var register = Taizhang_Ledger_V1_RegisterAssetRequest()
            register.asset = asset
            let payload = try register.serializedData()
            try load(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                     method: "/taizhang.ledger.v1.Ledger/RegisterAsset") { _ in payload }
        case "batch":
            try bulk(group: group, socket: socket, total: total, batchSize: batchSize, depth: depth)
        case "summary":
            // A ledger view: totals (and so every asset's net value) as of a date.
            var summary = Taizhang_Ledger_V1_GetLedgerSummaryRequest()
            summary.adminCode = adminCode
            summary.asOf = asOf
            let payload = try summary.serializedData()
            try load(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                     method: "/taizhang.ledger.v1.Ledger/GetLedgerSummary") { _ in payload }
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
        request.method = "/taizhang.ledger.v1.Ledger/GetAsset"
        request.payload = try get.serializedData()
        let payload = request.payload
        let responses = try run(group: group, socket: socket, connections: 1, depth: 1, seconds: 0.2,
                                method: request.method) { _ in payload }
        print("request_frame_bytes=\(4 + (try request.serializedBytes() as [UInt8]).count) response_frame_bytes=\(responses.lastFrameBytes)")
    }

    static func load(group: MultiThreadedEventLoopGroup, socket: String, connections: Int, depth: Int, seconds: Double,
                     method: String, payload: @escaping @Sendable (UInt64) -> Data) throws {
        let result = try run(group: group, socket: socket, connections: connections, depth: depth, seconds: seconds,
                             method: method, payload: payload)
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
    }

    static func run(group: MultiThreadedEventLoopGroup, socket: String, connections: Int, depth: Int, seconds: Double,
                    method: String, maxCalls: UInt64 = .max, payload: @escaping @Sendable (UInt64) -> Data) throws -> RunResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        var futures: [EventLoopFuture<RunResult>] = []
        for _ in 0..<connections {
            let promise = group.next().makePromise(of: RunResult.self)
            let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(frameMaxBytes: 64 << 20)))
                    try channel.pipeline.syncOperations.addHandler(LoadHandler(method: method, depth: depth, endNanos: end,
                                                                               maxCalls: maxCalls, payload: payload, done: promise))
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
        }
        total.elapsedSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return total
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
                             method: "/taizhang.ledger.v1.Ledger/BatchRegisterAssets", maxCalls: UInt64(batches.count)) { call in
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
    private let done: EventLoopPromise<Bench.RunResult>
    /// Calls sent so far; call ids are 1, 2, … (0 is reserved by the protocol).
    private var sent: UInt64 = 0
    private var sentAt: [UInt64: UInt64] = [:]
    private var result = Bench.RunResult()
    private var finished = false

    init(method: String, depth: Int, endNanos: UInt64, maxCalls: UInt64, payload: @escaping @Sendable (UInt64) -> Data,
         done: EventLoopPromise<Bench.RunResult>) {
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
                FileHandle.standardError.write(Data("first failure: \(response.status.code) \(response.status.message)\n".utf8))
            }
        } else {
            result.completed += 1
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
