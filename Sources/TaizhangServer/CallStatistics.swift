// Counters of calls by method and code, and latency histograms, for
// System/Status. Cheap enough to update on every call.

import CoreMetrics
import Synchronization

/// A latency histogram with about 12% resolution from 1 µs to days.
struct LatencyHistogram: Sendable {
    private(set) var counts = [UInt64](repeating: 0, count: 8 * 48)
    private(set) var total: UInt64 = 0

    static func bucket(_ micros: UInt64) -> Int {
        if micros < 8 { return Int(micros) }
        let exponent = 63 - micros.leadingZeroBitCount
        let mantissa = Int((micros >> UInt64(exponent - 3)) & 7)
        return min((exponent - 2) * 8 + mantissa, 8 * 48 - 1)
    }

    static func lowerBound(_ bucket: Int) -> UInt64 {
        if bucket < 8 { return UInt64(bucket) }
        let exponent = bucket / 8 + 2
        let mantissa = UInt64(bucket % 8)
        return (8 + mantissa) << UInt64(exponent - 3)
    }

    mutating func record(micros: UInt64) {
        counts[LatencyHistogram.bucket(micros)] += 1
        total += 1
    }

    /// The value at quantile `q` (0...1), as the bucket's lower bound.
    func quantile(_ q: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total) * q).rounded(.up))
        var seen: UInt64 = 0
        for (bucket, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= max(rank, 1) { return LatencyHistogram.lowerBound(bucket) }
        }
        return 0
    }
}

/// One method's counters.
struct MethodCounters: Sendable {
    var served: UInt64 = 0
    var failed: UInt64 = 0
    var byCode: [Int: UInt64] = [:]
    var latency = LatencyHistogram()
}

/// Calls served, by method: for Status, and as swift-metrics for /metrics.
final class CallStatistics: Sendable {
    private struct Entry: Sendable {
        var counters = MethodCounters()
        var timer: CoreMetrics.Timer
        var calls: [Int: CoreMetrics.Counter] = [:]
    }
    private let methods = Mutex([String: Entry]())
    private let metrics: ServerMetrics

    init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    func record(method: String, code: Int, micros: UInt64) {
        let (timer, counter) = methods.withLock { methods -> (CoreMetrics.Timer, CoreMetrics.Counter) in
            var index = methods.index(forKey: method)
            if index == nil {
                methods[method] = Entry(timer: metrics.callTimer(method: method))
                index = methods.index(forKey: method)
            }
            return Self.update(&methods.values[index!], code: code, micros: micros, method: method, metrics: metrics)
        }
        counter.increment()
        timer.recordNanoseconds(Int64(clamping: micros.multipliedReportingOverflow(by: 1000).overflow ? UInt64.max : micros * 1000))
    }

    private static func update(_ entry: inout Entry, code: Int, micros: UInt64, method: String,
                               metrics: ServerMetrics) -> (CoreMetrics.Timer, CoreMetrics.Counter) {
        entry.counters.served += 1
        if code != 0 { entry.counters.failed += 1 }
        entry.counters.byCode[code, default: 0] += 1
        entry.counters.latency.record(micros: micros)
        if let counter = entry.calls[code] { return (entry.timer, counter) }
        let counter = metrics.callCounter(method: method, code: code)
        entry.calls[code] = counter
        return (entry.timer, counter)
    }

    func snapshot() -> [String: MethodCounters] {
        methods.withLock { $0.mapValues(\.counters) }
    }
}
