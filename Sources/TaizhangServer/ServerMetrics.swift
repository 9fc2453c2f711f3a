// The daemon's metrics through swift-metrics, kept in a Prometheus registry
// for /metrics. Calls are counted as they finish; gauges (connections, store
// size, open alerts, the last risk run) are read when a scrape asks.

import CoreMetrics
import Foundation
import Prometheus
import Synchronization
import TaizhangCore

/// The metrics of one server and the registry they are kept in.
public final class ServerMetrics: Sendable {
    /// Where every metric is kept; emits the Prometheus text format.
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// Sets the gauges just before a scrape.
    private let collectors = Mutex<[@Sendable (ServerMetrics) -> Void]>([])
    private let gauges = Mutex<[String: CoreMetrics.Gauge]>([:])

    /// Latency buckets of calls and commits: 50 µs to 10 s.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    /// Group-commit sizes: 1 to the writer's 1024.
    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    let commitDuration: CoreMetrics.Timer
    let commitBatchSize: CoreMetrics.Recorder
    let commitsFailed: CoreMetrics.Counter

    /// Metrics for a daemon of `version`.
    init(version: String) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = ServerMetrics.durationBuckets
        factory.valueHistogramBuckets = ["taizhang_store_commit_batch_size": ServerMetrics.batchBuckets]
        self.factory = factory
        commitDuration = CoreMetrics.Timer(label: "taizhang_store_commit_duration_seconds", dimensions: [], factory: factory)
        commitBatchSize = CoreMetrics.Recorder(label: "taizhang_store_commit_batch_size", dimensions: [], aggregate: true, factory: factory)
        commitsFailed = CoreMetrics.Counter(label: "taizhang_store_commits_failed_total", dimensions: [], factory: factory)
        gauge("taizhang_build_info", ["version": version]).record(1)
    }

    /// A gauge, made once per name and labels.
    func gauge(_ name: String, _ labels: [String: String] = [:]) -> CoreMetrics.Gauge {
        let dimensions = labels.sorted { $0.key < $1.key }
        let key = name + "{" + dimensions.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
        return gauges.withLock { gauges in
            if let gauge = gauges[key] { return gauge }
            let gauge = CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory)
            gauges[key] = gauge
            return gauge
        }
    }

    /// A counter of calls of `method` that ended with `code`.
    func callCounter(method: String, code: Int) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "taizhang_calls_total", dimensions: [("method", method), ("code", StatusNames.name(code))], factory: factory)
    }

    /// The latency histogram of `method`.
    func callTimer(method: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "taizhang_call_duration_seconds", dimensions: [("method", method)], factory: factory)
    }

    /// Records one group commit of the store's writer.
    func record(_ commit: GroupCommit) {
        commitDuration.recordNanoseconds(Int64(clamping: commit.nanos))
        commitBatchSize.record(commit.mutations)
        if !commit.durable { commitsFailed.increment() }
    }

    /// Adds a function that sets gauges before each scrape.
    func addCollector(_ collector: @escaping @Sendable (ServerMetrics) -> Void) {
        collectors.withLock { $0.append(collector) }
    }

    /// The metrics now, in the Prometheus text format (version 0.0.4).
    public func render() -> [UInt8] {
        for collector in collectors.withLock({ $0 }) { collector(self) }
        return registry.emitToBuffer()
    }
}

/// The wire's status names, as gRPC spells them (OK, INVALID_ARGUMENT, …).
enum StatusNames {
    static let names: [Int: String] = {
        var names = [0: "OK"]
        for code in ErrorCode.allCases { names[code.rawValue] = code.upperSnakeName }
        return names
    }()

    static func name(_ code: Int) -> String { names[code] ?? "CODE_\(code)" }
}

extension ErrorCode {
    /// "INVALID_ARGUMENT" for `.invalidArgument`.
    var upperSnakeName: String {
        var name = ""
        for character in "\(self)" {
            if character.isUppercase { name += "_" }
            name += character.uppercased()
        }
        return name
    }
}
