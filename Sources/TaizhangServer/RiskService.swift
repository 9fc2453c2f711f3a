// taizhang.risk.v1.Risk: alerts, scores, the WatchAlerts stream, and a run
// on request. Reads only: the monitor alone changes alerts.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangProto
import TaizhangStore

enum RiskService {
    /// Stored events read per step of a replay.
    static let replayPage = 1000

    static func methods(store: any LedgerStore, monitor: RiskMonitor?, context: LedgerContext,
                        risk: any RiskConfigurationSource) -> [MethodSpec] {
        let handlers = RiskHandlers(store: store, monitor: monitor, context: context, risk: risk)
        return [
            handlers.listAlerts,
            handlers.getRiskScore,
            handlers.watchAlerts,
            handlers.runMonitor,
            handlers.getAlert,
            handlers.acknowledgeAlert,
            handlers.assignAlert,
            handlers.planRectification,
            handlers.recordRectification,
            handlers.closeAlert,
            handlers.reopenAlert,
            handlers.recordTalk,
            handlers.recordAccountability,
        ]
    }
}

/// core → proto for the risk service.
enum RiskMapping {
    static func status(_ code: Taizhang_Rpc_V1_Code, _ message: String) -> Taizhang_Rpc_V1_Status {
        var status = Taizhang_Rpc_V1_Status()
        status.code = code
        status.message = message
        return status
    }

    static func level(_ level: AlertLevel) -> Taizhang_Risk_V1_AlertLevel {
        switch level {
        case .green: return .green
        case .yellow: return .yellow
        case .red: return .red
        }
    }

    static func reason(_ reason: RiskReason) -> Taizhang_Risk_V1_Reason {
        var out = Taizhang_Risk_V1_Reason()
        out.code = reason.code
        out.zh = reason.chinese
        out.en = reason.english
        return out
    }

    static func part(_ part: RiskPartScore) -> Taizhang_Risk_V1_ScorePart {
        var out = Taizhang_Risk_V1_ScorePart()
        out.part = part.part.rawValue
        out.partZh = part.part.chineseName
        out.score = Int32(part.score)
        out.weight = Int32(part.weight)
        out.reasons = part.reasons.map(reason)
        return out
    }

    static func alert(_ record: AlertRecord, event: AlertEvent? = nil) -> Taizhang_Risk_V1_Alert {
        var out = Taizhang_Risk_V1_Alert()
        out.id = record.id
        out.kind = record.kind.rawValue
        out.kindZh = record.kind.chineseName
        out.messageID = record.kind.messageId
        out.subjectKind = record.kind.subjectKind
        out.subjectID = record.subjectId
        out.subjectName = record.subjectName
        out.adminCode = record.adminCode
        out.level = level(record.level)
        out.score = Int32(record.score)
        out.quarter = record.quarter
        out.parts = record.parts.map(part)
        out.reasons = record.reasons.map(reason)
        out.raisedAt = record.raisedAt
        out.changedAt = record.changedAt
        out.clearedAt = record.clearedAt
        out.open = record.isOpen
        let described = event ?? AlertEvent(seq: 0, type: record.isOpen ? .raised : .cleared, alert: record, previousLevel: .green, time: record.changedAt)
        out.message = described.chineseMessage
        out.messageEn = described.englishMessage
        return out
    }

    static func eventBytes(_ event: AlertEvent) -> [UInt8] {
        var out = Taizhang_Risk_V1_AlertEvent()
        out.seq = event.seq
        out.type = event.type.rawValue
        out.alert = alert(event.alert, event: event)
        out.previousLevel = level(event.previousLevel)
        out.time = event.time
        out.message = event.chineseMessage
        out.messageEn = event.englishMessage
        return (try? out.serializedBytes()) ?? []
    }

    static func score(_ score: RiskScore, entityName: String) -> Taizhang_Risk_V1_RiskScore {
        var out = Taizhang_Risk_V1_RiskScore()
        out.entityID = score.entityId
        out.entityName = entityName
        out.quarter = score.quarter.description
        out.reported = score.reported
        out.total = Int32(score.total)
        out.scoreLevel = level(score.scoreLevel)
        out.light = level(score.light)
        out.parts = score.parts.map(part)
        out.lightReasons = score.lightReasons.map(reason)
        return out
    }

    static func run(_ summary: MonitorRunSummary) -> Taizhang_Risk_V1_MonitorRun {
        var out = Taizhang_Risk_V1_MonitorRun()
        out.startedAt = summary.startedAt
        out.finishedAt = summary.finishedAt
        out.durationMicros = summary.durationMicros
        out.entitiesScored = summary.entitiesScored
        out.assetsChecked = summary.assetsChecked
        out.raised = summary.raised
        out.changed = summary.changed
        out.cleared = summary.cleared
        out.openAlerts = summary.openAlerts
        out.trigger = summary.trigger
        return out
    }
}

extension RiskService {
    /// The risk service's methods, each a MethodSpec bound to the store and the monitor.
    struct RiskHandlers: Sendable {
        let store: any LedgerStore
        let monitor: RiskMonitor?
        let context: LedgerContext
        let risk: any RiskConfigurationSource

        func requireMonitor() throws -> RiskMonitor {
            guard let monitor else {
                throw LedgerError(.failedPrecondition, "the risk monitor is not running in this daemon (no alert store)")
            }
            return monitor
        }

        var listAlerts: MethodSpec {
            Method.blocking(RPC.Risk.listAlerts) { _, request in
                let monitor = try requireMonitor()
                var bad: [FieldViolation] = []
                var filter = AlertFilter()
                let limit = try LedgerService.pageSize(request.pageSize)
                if request.level != .unspecified {
                    switch request.level {
                    case .yellow: filter.level = .yellow
                    case .red: filter.level = .red
                    default: bad.append(.init(field: "level", description: "alerts are YELLOW or RED"))
                    }
                }
                if !request.kind.isEmpty {
                    filter.kind = AlertKind(rawValue: request.kind)
                    if filter.kind == nil {
                        bad.append(.init(field: "kind", description: "\"\(request.kind)\" is not an alert kind; use one of \(AlertKind.allCases.map(\.rawValue).joined(separator: ", "))"))
                    }
                }
                if !request.adminCode.isEmpty {
                    if store.adminUnit(code: request.adminCode) == nil {
                        bad.append(.init(field: "admin_code", description: "no admin unit \(request.adminCode) exists"))
                    }
                    filter.adminCodes = store.adminSubtree(code: request.adminCode)
                }
                switch request.state {
                case .open: filter.open = true
                case .closed: filter.open = false
                default: break
                }
                filter.raisedFrom = Decode.date(request.raisedFrom, field: "raised_from", required: false, into: &bad)
                filter.raisedTo = Decode.date(request.raisedTo, field: "raised_to", required: false, into: &bad)
                if !request.subjectID.isEmpty { filter.subjectId = request.subjectID }
                var before: Int64?
                if let token = try PageToken.decode(request.pageToken) {
                    before = Int64(token)
                    if before == nil { bad.append(.init(field: "page_token", description: "is not a token this server issued")) }
                }
                if !request.followUpStates.isEmpty || !request.assignee.isEmpty || request.overdue {
                    bad.removeAll { $0.field == "page_token" }
                    if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                    return try followUpPage(request, filter: filter, limit: limit)
                }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let (records, more) = try monitor.alerts.alerts(filter: filter, beforeId: before, limit: limit)
                var response = Taizhang_Risk_V1_ListAlertsResponse()
                response.alerts = try records.map { record in
                    guard case .alert(let kept)? = try store.stewardshipRecord(.alert, id: AlertCase.id(ofAlert: record.id)) else { return RiskMapping.alert(record) }
                    return RiskMapping.alert(kept, details: record, overdue: isOverdue(kept))
                }
                if more, let last = records.last { response.nextPageToken = PageToken.encode(String(last.id)) }
                return response
            }
        }

        var getRiskScore: MethodSpec {
            // The entity's reports are read from the ledger file: off the event loop.
            Method.fileRead(RPC.Risk.getRiskScore) { _, request in
                var bad: [FieldViolation] = []
                if request.entityID.isEmpty { bad.append(.init(field: "entity_id", description: "is required")) }
                let quarter = request.quarter.isEmpty ? nil : Quarter(request.quarter)
                if !request.quarter.isEmpty, quarter == nil {
                    bad.append(.init(field: "quarter", description: "\"\(request.quarter)\" is not a quarter; write e.g. 2026Q3"))
                }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "request") }
                let snapshot = try store.operations(entities: [request.entityID], contracts: [], assets: [])
                guard let entity = snapshot.entities[request.entityID] else {
                    throw LedgerError(.notFound, "no operating entity \"\(request.entityID)\" exists; entity ids look like ZT00000001")
                }
                let configuration = risk.current()
                let rules = RiskRules(configuration: configuration, today: context.today)
                let contracts = snapshot.contracts(ofEntity: entity.id)
                let reports = try store.reports(of: entity.id)
                guard let judged = quarter ?? rules.evaluatedQuarter(contracts: contracts, reports: reports) else {
                    throw LedgerError(.failedPrecondition, "entity \(entity.id) owes no report yet (no contract ran in an ended quarter); name a quarter to score it anyway")
                }
                let score = rules.score(entityId: entity.id, quarter: judged, contracts: contracts, reports: reports)
                return try RiskMapping.score(score, entityName: entity.name).serializedBytes()
            }
        }

        var watchAlerts: MethodSpec {
            Method.streaming(RPC.Risk.watchAlerts) { _, request, stream in
                let monitor = try requireMonitor()
                var bad: [FieldViolation] = []
                var minLevel = AlertLevel.yellow
                switch request.minLevel {
                case .unspecified, .green, .yellow: minLevel = .yellow
                case .red: minLevel = .red
                default: bad.append(.init(field: "min_level", description: "must be YELLOW or RED (or unset for all)"))
                }
                var codes: Set<String>?
                if !request.adminCode.isEmpty {
                    if store.adminUnit(code: request.adminCode) == nil {
                        bad.append(.init(field: "admin_code", description: "no admin unit \(request.adminCode) exists"))
                    }
                    codes = store.adminSubtree(code: request.adminCode)
                }
                if request.afterSeq < 0 { bad.append(.init(field: "after_seq", description: "must not be negative")) }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "watch") }
                // Events published while the replay is read are held back, then
                // sent in seq order without repeats.
                struct Delivery { var replaying: Bool; var held: [AlertEvent] = []; var lastSent: Int64 = 0 }
                let replay = request.afterSeq > 0 || request.fromCheckpoint
                let delivery = Mutex(Delivery(replaying: replay))
                let watcher = AlertHub.Watcher(minLevel: minLevel, adminCodes: codes) { event in
                    delivery.withLock { state in
                        if state.replaying { state.held.append(event); return }
                        guard event.seq > state.lastSent else { return }
                        state.lastSent = event.seq
                        stream.send(RiskMapping.eventBytes(event))
                    }
                }
                guard let id = monitor.hub.add(watcher) else {
                    throw LedgerError(.resourceExhausted, "\(AlertHub.watchersMax) alert streams are already open; close one or retry later")
                }
                stream.onEnd { monitor.hub.remove(id) }
                guard replay else { return }
                try RiskHandlers.checkCheckpoint(request.afterSeq, alerts: monitor.alerts)
                ReadQueue.audit.queue.async {
                    // Page through the stored events until the replay meets the held
                    // ones (every event is stored before it is published).
                    var after = request.afterSeq
                    while !stream.isEnded {
                        let page: [AlertEvent]
                        do { page = try monitor.alerts.events(after: after, limit: replayPage) } catch {
                            stream.finish(RiskMapping.status(.unavailable, "the stored alert events could not be read (\(error)); watch again after seq \(after)"))
                            return
                        }
                        // Seqs are dense: a gap is events deleted (pruned) since the check above.
                        if let first = page.first, first.seq > after + 1 {
                            stream.finish(RiskMapping.status(.outOfRange, "the events after seq \(after) are no longer kept (the oldest is \(first.seq)); re-read the open alerts with ListAlerts and watch after seq \(monitor.alerts.lastSeq)"))
                            return
                        }
                        for event in page where AlertHub.wants(watcher, event) {
                            stream.send(RiskMapping.eventBytes(event))
                        }
                        after = page.last?.seq ?? after
                        if page.count < replayPage { break }
                    }
                    delivery.withLock { state in
                        state.lastSent = after
                        for event in state.held.sorted(by: { $0.seq < $1.seq }) where event.seq > state.lastSent {
                            state.lastSent = event.seq
                            stream.send(RiskMapping.eventBytes(event))
                        }
                        state.held = []
                        state.replaying = false
                    }
                }
            }
        }

        /// Refuses a checkpoint the kept events no longer reach (pruned after
        /// alert_event_retention_days), or past the newest (an older
        /// alerts.db restored): the watcher must re-read the open alerts. A
        /// follower of a shared ledger looks first (it may not have since the seq was sent).
        static func checkCheckpoint(_ afterSeq: Int64, alerts: AlertStore) throws {
            if alerts.shared, afterSeq > alerts.lastSeq { try? alerts.refresh() }
            let oldest = alerts.oldestSeq, newest = alerts.lastSeq
            guard afterSeq > newest || (oldest > 0 && afterSeq < oldest - 1) else { return }
            let why = afterSeq > newest ? "is past the newest event (\(newest))" : "is older than the events kept (the oldest is \(oldest))"
            throw LedgerError(.outOfRange, "after_seq \(afterSeq) \(why): events are kept alert_event_retention_days; re-read the open alerts with ListAlerts and watch after seq \(newest)",
                              violations: [.init(field: "after_seq", description: "checkpoint expired; watch after \(newest)")])
        }

        var runMonitor: MethodSpec {
            MethodSpec(RPC.Risk.runMonitor, mutation: false) { _, _, completion in
                guard let monitor, monitor.requestRun({ summary in
                    if summary.ledBy != nil {
                        completion(.failed(.init(code: .failedPrecondition, message: summary.error)))
                    } else if !summary.error.isEmpty, summary.finishedAt.isEmpty {
                        completion(.failed(.init(code: .unavailable, message: summary.error)))
                    } else {
                        completion(.ok((try? RiskMapping.run(summary).serializedBytes()) ?? []))
                    }
                }) else {
                    return .completed(.failed(.init(code: .failedPrecondition,
                        message: "the risk monitor is switched off (\"enabled\": false in the risk configuration) or stopping; nothing was run")))
                }
                return .pending(ticket: nil)
            }
        }
    }
}
