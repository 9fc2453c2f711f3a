// State shared by every connection: the method table, limits, counters,
// and whether the server is draining.

import Foundation
import NIOCore
import Synchronization
import TaizhangCore
import TaizhangProto

/// What every connection shares. Thread-safe.
final class ServerState: Sendable {
    let configuration: ServerConfiguration
    let methods: [String: MethodSpec]
    /// The ledger, for the scope checks of calls.
    let store: any LedgerStore
    let statistics: CallStatistics
    let openConnections = Atomic<Int>(0)
    let callsInFlight = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    /// Limits a reload can change (the configuration holds the first values).
    let frameMaxBytes: Atomic<Int>
    let callsInFlightMax: Atomic<Int>
    let connectionsMax: Atomic<Int>
    let drainTimeoutMillis: Atomic<Int64>
    let startedUnixMillis: Int64
    let startedMonotonicNanos: UInt64
    private let channels = Mutex([ObjectIdentifier: any Channel]())
    private let streams = Mutex([ObjectIdentifier: ServerStream]())
    private let requestIdPrefix: String
    private let requestIdCounter = Atomic<UInt64>(0)
    /// Who is admitted: the access file, or local mode. A reload replaces it.
    let access: Mutex<AccessPolicy>

    init(configuration: ServerConfiguration, methods: [MethodSpec], store: any LedgerStore, clock: any WallClock, metrics: ServerMetrics) {
        self.configuration = configuration
        self.store = store
        statistics = CallStatistics(metrics: metrics)
        frameMaxBytes = Atomic(configuration.frameMaxBytes)
        callsInFlightMax = Atomic(configuration.callsInFlightMaxPerConnection)
        connectionsMax = Atomic(configuration.connectionsMax)
        drainTimeoutMillis = Atomic(configuration.drainTimeoutMillis)
        var table: [String: MethodSpec] = [:]
        for method in methods { table[method.name] = method }
        self.methods = table
        startedUnixMillis = clock.nowUnixMillis()
        startedMonotonicNanos = DispatchTime.now().uptimeNanoseconds
        requestIdPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        access = Mutex(configuration.access)
    }

    /// A request-id for a call that brought none.
    func makeRequestId() -> String {
        let next = requestIdCounter.wrappingAdd(1, ordering: .relaxed).newValue
        return "tz-\(requestIdPrefix)-\(next)"
    }

    /// Admits a connection; false when the limit is reached.
    func admit(_ channel: any Channel) -> Bool {
        let count = openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if count > connectionsMax.load(ordering: .relaxed) || draining.load(ordering: .relaxed) {
            openConnections.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
        return true
    }

    func release(_ channel: any Channel) {
        let removed = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        if removed != nil {
            openConnections.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    func register(_ stream: ServerStream) {
        streams.withLock { $0[ObjectIdentifier(stream)] = stream }
        // Registered after shutdown collected the open streams: end it here.
        if draining.load(ordering: .sequentiallyConsistent) {
            stream.finish(.init(code: .unavailable, message: "the server is shutting down; watch again against the restarted daemon"))
        }
    }

    func unregister(_ stream: ServerStream) {
        _ = streams.withLock { $0.removeValue(forKey: ObjectIdentifier(stream)) }
    }

    /// Ends every open stream with `status` (on shutdown: UNAVAILABLE).
    func endStreams(_ status: Taizhang_Rpc_V1_Status) {
        for stream in streams.withLock({ Array($0.values) }) { stream.finish(status) }
    }

    func allChannels() -> [any Channel] {
        channels.withLock { Array($0.values) }
    }
}
