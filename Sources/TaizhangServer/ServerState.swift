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
    /// The one clock every connection reads.
    let clock: any WallClock
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
    let connectionPolicy: Mutex<ConnectionPolicy>
    /// Calls in flight and the rate bucket of each identity.
    private let identityLoad = Mutex([String: IdentityLoad]())

    init(configuration: ServerConfiguration, methods: [MethodSpec], store: any LedgerStore, clock: any WallClock, metrics: ServerMetrics) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        statistics = CallStatistics(metrics: metrics)
        frameMaxBytes = Atomic(configuration.frameMaxBytes)
        callsInFlightMax = Atomic(configuration.callsInFlightMaxPerConnection)
        connectionsMax = Atomic(configuration.connectionsMax)
        drainTimeoutMillis = Atomic(configuration.drainTimeoutMillis)
        var table: [String: MethodSpec] = [:]
        for method in methods { table[method.name] = method }
        self.methods = table
        startedUnixMillis = clock.nowUnixMillis()
        startedMonotonicNanos = clock.monotonicNanos()
        requestIdPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        access = Mutex(configuration.access)
        connectionPolicy = Mutex(configuration.connectionPolicy)
    }

    /// Admits one call of `identity`, or says why not (RESOURCE_EXHAUSTED
    /// with the milliseconds to wait before retrying).
    func admitCall(identity: String) -> (message: String, retryAfterMillis: Int64)? {
        let policy = connectionPolicy.withLock { $0 }
        let now = clock.monotonicNanos()
        return identityLoad.withLock { loads in
            var load = loads[identity] ?? IdentityLoad(tokens: Double(policy.identityCallsPerSecond), refilledNanos: now)
            if load.inFlight >= policy.identityCallsInFlightMax {
                return ("\(identity) has \(load.inFlight) calls in flight (limit \(policy.identityCallsInFlightMax) over all its connections); wait for some to finish", 100)
            }
            if policy.identityCallsPerSecond > 0 {
                let rate = Double(policy.identityCallsPerSecond)
                load.tokens = min(rate, load.tokens + Double(now &- load.refilledNanos) / 1e9 * rate)
                load.refilledNanos = now
                if load.tokens < 1 {
                    loads[identity] = load
                    let wait = Int64(((1 - load.tokens) / rate * 1000).rounded(.up))
                    return ("\(identity) started more than \(policy.identityCallsPerSecond) calls a second (identity-calls-per-second); retry in \(wait) ms", max(1, wait))
                }
                load.tokens -= 1
            }
            load.inFlight += 1
            loads[identity] = load
            return nil
        }
    }

    /// Ends one call of `identity` admitted by `admitCall`.
    func releaseCall(identity: String) {
        identityLoad.withLock { loads in
            guard var load = loads[identity] else { return }
            load.inFlight = max(0, load.inFlight - 1)
            // Forget an identity at rest whose bucket is full again, so the table stays small.
            if load.inFlight == 0, connectionPolicy.withLock({ $0.identityCallsPerSecond }) == 0 {
                loads[identity] = nil
            } else {
                loads[identity] = load
            }
        }
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

    /// Ends the open streams whose callers the access policy no longer admits
    /// as they were admitted (after a reload, and as tokens expire).
    func revalidate(_ streams: [ServerStream]? = nil) {
        let nowUnix = clock.nowUnixSeconds()
        let policy = access.withLock { $0 }
        for stream in streams ?? self.streams.withLock({ Array($0.values) }) {
            if let admission = stream.admission, let refusal = admission.refusal(under: policy, nowUnix: nowUnix) {
                stream.finish(refusal)
            }
        }
    }

    /// Ends every open stream with `status` (on shutdown: UNAVAILABLE).
    func endStreams(_ status: Taizhang_Rpc_V1_Status) {
        for stream in streams.withLock({ Array($0.values) }) { stream.finish(status) }
    }

    func allChannels() -> [any Channel] {
        channels.withLock { Array($0.values) }
    }
}

/// One identity's calls in flight and its token bucket.
struct IdentityLoad {
    var inFlight = 0
    var tokens: Double
    var refilledNanos: UInt64
}
