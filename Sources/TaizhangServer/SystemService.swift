// taizhang.system.v1.System: Health for probes, Status for dashboards,
// ListMethods for generic clients (with every served proto's descriptors).

import Dispatch
import Foundation
import TaizhangCore
import TaizhangProto

/// The system service's methods.
enum SystemService {

    static let fileDescriptorSet = Data(base64Encoded: servedFileDescriptorSetBase64) ?? Data()

    static func methods(store: any LedgerStore, monitor: RiskMonitor?, context: LedgerContext, server: @escaping @Sendable () -> ServerState?,
                        backups: BackupSessions, all: @escaping @Sendable () -> [MethodSpec]) -> [MethodSpec] {
        let handlers = SystemHandlers(store: store, monitor: monitor, context: context, server: server, backups: backups, all: all)
        return [
            handlers.health,
            handlers.status,
            handlers.listMethods,
            handlers.createBackup,
            handlers.readBackup,
        ]
    }
}

extension SystemService {
    /// The system service's methods, each a MethodSpec.
    struct SystemHandlers: Sendable {
        let store: any LedgerStore
        let monitor: RiskMonitor?
        let context: LedgerContext
        let server: @Sendable () -> ServerState?
        let backups: BackupSessions
        let all: @Sendable () -> [MethodSpec]

        var health: MethodSpec {
            Method.unary(RPC.System.health) { _, _ in
                var response = Taizhang_System_V1_HealthResponse()
                if server()?.draining.load(ordering: .relaxed) == true {
                    response.status = .notServing
                    response.reason = "shutting down"
                } else if !store.statistics().writable {
                    response.status = .notServing
                    response.reason = "the store cannot commit to disk; see the daemon's log"
                } else {
                    response.status = .serving
                }
                return response
            }
        }

        var status: MethodSpec {
            Method.unary(RPC.System.status) { call, _ in
                var response = Taizhang_System_V1_StatusResponse()
                let stats = store.statistics()
                response.storageBackend = "sqlite"
                response.storageBytes = stats.storageBytes
                response.recordCounts = stats.recordCounts
                response.auditHeadSeq = stats.auditHeadSeq
                response.auditHeadHash = stats.auditHeadHash
                response.ledgerID = store.ledgerId
                if let held = store.heldReason {
                    response.heldReason = held
                    response.warnings.append(held)
                }
                response.commitBatches = stats.commitBatches
                response.committedMutations = stats.committedMutations
                if let server = server() {
                    response.version = server.configuration.version
                    response.uptimeSeconds = (server.clock.monotonicNanos() - server.startedMonotonicNanos) / 1_000_000_000
                    response.startedAt = Timestamp.rfc3339(unixMillis: server.startedUnixMillis)
                    response.openConnections = UInt32(clamping: server.openConnections.load(ordering: .relaxed))
                    response.callsInFlight = UInt64(clamping: server.callsInFlight.load(ordering: .relaxed))
                    response.draining = server.draining.load(ordering: .relaxed)
                    let today = server.clock.today()
                    if let warning = context.calendar.missingCalendarWarning(today: today) {
                        response.warnings.append(warning)
                    }
                    if let monitor {
                        var run = Taizhang_System_V1_RiskRun()
                        run.enabled = monitor.enabled
                        run.runs = monitor.runCount
                        run.focusedRuns = monitor.focusedRunCount
                        run.changesPending = monitor.changesPending
                        run.leading = monitor.alerts.leading
                        run.leader = monitor.alerts.leaderName
                        if let last = monitor.lastRunSummary {
                            run.finishedAt = last.finishedAt
                            run.durationMicros = last.durationMicros
                            run.scored = last.entitiesScored
                            run.assetsChecked = last.assetsChecked
                            run.raised = last.raised
                            run.changed = last.changed
                            run.cleared = last.cleared
                            run.trigger = last.trigger
                            run.focused = last.focused
                            run.lastError = last.error
                        }
                        response.lastRiskRun = run
                        response.alertEventsOldestSeq = monitor.alerts.oldestSeq
                        response.alertEventsNewestSeq = monitor.alerts.lastSeq
                        let counts = monitor.alerts.openCounts()
                        response.alertsByLevel = ["yellow": UInt64(counts[.yellow] ?? 0), "red": UInt64(counts[.red] ?? 0)]
                        if !monitor.enabled {
                            response.warnings.append("the risk monitor is switched off (\"enabled\": false); no alerts are raised or cleared")
                        } else if !monitor.alerts.leading {
                            response.warnings.append("the risk monitor of another daemon of this shared ledger runs (\(monitor.alerts.leaderName.isEmpty ? "not yet known" : monitor.alerts.leaderName)); this one takes over if that daemon stops")
                        }
                    }
                    let codeNames = Dictionary(uniqueKeysWithValues: Taizhang_Rpc_V1_Code.allCases.map { ($0.rawValue, "\($0)") })
                    response.methods = server.statistics.snapshot().sorted { $0.key < $1.key }.map { name, counters in
                        var method = Taizhang_System_V1_MethodStats()
                        method.method = name
                        method.served = counters.served
                        method.failed = counters.failed
                        method.byCode = Dictionary(uniqueKeysWithValues: counters.byCode.map { (codeNames[$0.key] ?? String($0.key), $0.value) })
                        method.latencyP50Micros = counters.latency.quantile(0.5)
                        method.latencyP99Micros = counters.latency.quantile(0.99)
                        return method
                    }
                }
                if let scope = ScopeGuard.codes(call, store) { return scoped(response, to: scope) }
                return response
            }
        }

        /// Status as a scoped identity sees it (a township's dashboard, a
        /// monitoring agent of one township): the counts of its scope (its
        /// admin units, its open alerts by level), the daemon's own state
        /// (version, uptime, runs, warnings, hold); nothing that counts the
        /// whole ledger (its records, journal head, storage, calls, what a
        /// risk run scored).
        func scoped(_ full: Taizhang_System_V1_StatusResponse, to scope: Set<String>) -> Taizhang_System_V1_StatusResponse {
            var out = Taizhang_System_V1_StatusResponse()
            (out.version, out.uptimeSeconds, out.startedAt, out.draining) = (full.version, full.uptimeSeconds, full.startedAt, full.draining)
            (out.storageBackend, out.ledgerID, out.heldReason, out.warnings) = (full.storageBackend, full.ledgerID, full.heldReason, full.warnings)
            (out.openConnections, out.callsInFlight) = (0, 0)
            out.recordCounts = ["admin_unit": UInt64(scope.count)]
            if let monitor {
                var run = Taizhang_System_V1_RiskRun()
                let last = full.lastRiskRun
                (run.enabled, run.runs, run.focusedRuns, run.changesPending) = (last.enabled, last.runs, last.focusedRuns, last.changesPending)
                (run.finishedAt, run.durationMicros, run.trigger, run.focused, run.lastError) = (last.finishedAt, last.durationMicros, last.trigger, last.focused, last.lastError)
                out.lastRiskRun = run
                (out.alertEventsOldestSeq, out.alertEventsNewestSeq) = (full.alertEventsOldestSeq, full.alertEventsNewestSeq)
                var levels: [String: UInt64] = ["yellow": 0, "red": 0]
                for alert in monitor.alerts.openAlerts().values where scope.contains(alert.adminCode) { levels[alert.level.rawValue, default: 0] += 1 }
                out.alertsByLevel = levels
            }
            return out
        }

        var listMethods: MethodSpec {
            Method.unary(RPC.System.listMethods) { _, _ in
                var response = Taizhang_System_V1_ListMethodsResponse()
                response.methods = all().sorted { $0.name < $1.name }.map { spec in
                    var method = Taizhang_System_V1_MethodDescriptor()
                    method.name = spec.name
                    method.requestType = spec.requestType
                    method.responseType = spec.responseType
                    method.serverStreaming = spec.serverStreaming
                    method.mutation = spec.mutation
                    return method
                }
                response.fileDescriptorSet = fileDescriptorSet
                return response
            }
        }

        var createBackup: MethodSpec {
            Method.blocking(RPC.System.createBackup) { _, _ in
                try backups.create(store: store)
            }
        }

        var readBackup: MethodSpec {
            Method.blocking(RPC.System.readBackup) { _, request in
                try backups.read(id: request.id, offset: request.offset, maxBytes: request.maxBytes)
            }
        }
    }
}
