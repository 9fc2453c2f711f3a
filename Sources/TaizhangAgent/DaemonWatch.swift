// One watched daemon: its alert stream from the checkpoint (re-reading the
// open alerts when the daemon no longer holds it), its health polled every
// interval (unreachable twice running is the agent's own alert, and the
// recovery another), and its journal verified every night against the last
// head the agent kept (a head that does not extend it is critical).

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import NIOCore
import SwiftProtobuf
import TaizhangClient
import TaizhangCore
import TaizhangProto

/// RFC 3339 times as the daemon writes them ("2026-12-07T02:00:00.123Z",
/// or with an offset), read by hand: Foundation's formatters load ICU,
/// which would cost the agent more memory than everything else it holds.
enum AgentTime {
    static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116, b[13] == 58, b[16] == 58 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (48...57).contains(b[index]) else { return nil }
                value = value * 10 + Int(b[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == 46 {
            var scale = 0.1
            index += 1
            while index < b.count, (48...57).contains(b[index]) { fraction += Double(b[index] - 48) * scale; scale /= 10; index += 1 }
        }
        var offset = 0
        if index < b.count, b[index] == 43 || b[index] == 45, index + 6 == b.count, let h = number(index + 1..<index + 3), let m = number(index + 4..<index + 6) {
            offset = (b[index] == 43 ? 1 : -1) * (h * 3600 + m * 60)
        } else if !(index + 1 == b.count && (b[index] == 90 || b[index] == 122)) {
            return nil
        }
        // Days from 1970-01-01 (the proleptic Gregorian calendar).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }
}

struct DaemonWatch: Sendable {
    let agent: Agent
    let daemon: WatchedDaemon

    var name: String { daemon.name }

    /// The calls' metadata: the bearer token, when the daemon has one.
    func metadata() -> [String: String] {
        guard let path = daemon.tokenFile, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        let token = text.trimmed()
        return token.isEmpty ? [:] : ["authorization": "Bearer " + token]
    }

    func connect() async throws -> TaizhangClient {
        let target: TaizhangClient.Target
        if let path = daemon.unixPath {
            target = .unix(path: path)
        } else if let tcp = daemon.tcp {
            target = daemon.tlsCAFile != nil || daemon.tlsServerName != nil
                ? .tls(host: tcp.host, port: tcp.port, tls: .init(caFile: daemon.tlsCAFile, serverName: daemon.tlsServerName))
                : .tcp(host: tcp.host, port: tcp.port)
        } else {
            throw SpoolError(description: "daemon \(name) has no address")
        }
        return try await TaizhangClient.connect(target, timeoutMillis: 5_000, group: agent.group)
    }

    // MARK: - The alert stream

    func watchLoop() async {
        var backoff = 1.0
        while !Task.isCancelled {
            do {
                try await watchOnce()
                backoff = 1
            } catch let error as RPCError where error.status.code == .outOfRange {
                AgentLog.info("daemon \(name): \(error.status.message); re-reading its open alerts")
                agent.buffer.withLock { buffer in
                    _ = buffer.checkpoints.removeValue(forKey: name)
                    agent.memory.withLock { _ = $0.checkpoints.removeValue(forKey: name) }
                }
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 30)
            } catch {
                agent.views.withLock { $0[name]?.error = "\(error)" }
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 30)
            }
        }
    }

    /// Watches from the checkpoint until the stream ends.
    func watchOnce() async throws {
        let client = try await connect()
        agent.watchClients.withLock { $0[name] = client }
        defer {
            agent.watchClients.withLock { if $0[name] === client { $0[name] = nil } }
            Task { await client.close() }
        }
        let meta = metadata()
        var after = agent.memory.withLock { $0.checkpoints[name] }
        if after == nil {
            // No checkpoint (first start, or the daemon no longer holds it):
            // watch after the newest event and send the open alerts as they are.
            let status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest(), metadata: meta, timeoutMillis: 10_000)
            after = status.alertEventsNewestSeq
            let open = try await openAlerts(client, meta)
            agent.submit(open.map { reread($0) }, daemon: name, checkpoint: status.alertEventsNewestSeq)
            // The checkpoint is on disk before anything is watched: from
            // here on no event is missed, whenever the agent is killed.
            try agent.flush()
        }
        var request = Taizhang_Risk_V1_WatchAlertsRequest()
        request.afterSeq = after ?? 0
        request.fromCheckpoint = true
        let (_, items) = try client.stream(RPC.Risk.watchAlerts, request, metadata: meta)
        // For the dashboard only: the stream does not wait for it.
        try? await refreshAlerts(client, meta)
        for try await item in items {
            let event = try Taizhang_Risk_V1_AlertEvent(serializedBytes: item)
            agent.submit([notice(event)], daemon: name, checkpoint: event.seq)
            apply(event)
            // Past the bound (the disk failing, a long replay), read no more until flushed.
            while agent.pendingNotices > Agent.pendingMax, !Task.isCancelled { try await Task.sleep(for: .milliseconds(50)) }
        }
    }

    /// Every open alert, all pages (at most 100,000).
    func openAlerts(_ client: TaizhangClient, _ meta: [String: String]) async throws -> [Taizhang_Risk_V1_Alert] {
        var request = Taizhang_Risk_V1_ListAlertsRequest()
        request.state = .open
        request.pageSize = 500
        var all: [Taizhang_Risk_V1_Alert] = []
        repeat {
            let page = try await client.unary(RPC.Risk.listAlerts, request, metadata: meta, timeoutMillis: 30_000)
            all += page.alerts
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty && all.count < 100_000
        return all
    }

    /// The open alerts as the dashboard shows them, with their follow-up.
    func refreshAlerts(_ client: TaizhangClient, _ meta: [String: String]) async throws {
        let open = try await openAlerts(client, meta)
        var follow = Taizhang_Risk_V1_ListAlertsRequest()
        follow.followUpStates = ["pending", "acknowledged", "assigned", "rectifying", "rectified"]
        follow.pageSize = 500
        var followUps: [Int64: Taizhang_Risk_V1_FollowUp] = [:]
        repeat {
            let page = try await client.unary(RPC.Risk.listAlerts, follow, metadata: meta, timeoutMillis: 30_000)
            for alert in page.alerts { followUps[alert.id] = alert.followUp }
            follow.pageToken = page.nextPageToken
        } while !follow.pageToken.isEmpty && followUps.count < 100_000
        var alerts: [Int64: AlertView] = [:]
        for alert in open {
            var view = Self.view(alert)
            if let followUp = followUps[alert.id] { (view.followUp, view.overdue) = (followUp.stateZh, followUp.overdue) }
            alerts[alert.id] = view
        }
        agent.views.withLock { views in
            views[name]?.alerts = alerts
            views[name]?.alertsLoaded = true
        }
        agent.changed()
    }

    static func view(_ alert: Taizhang_Risk_V1_Alert) -> AlertView {
        AlertView(id: alert.id, kind: alert.kind, kindZh: alert.kindZh, level: Self.level(alert.level), adminCode: alert.adminCode,
                  subjectId: alert.subjectID, subjectName: alert.subjectName, message: alert.message, raisedAt: alert.raisedAt,
                  changedAt: alert.changedAt, followUp: alert.followUp.stateZh, overdue: alert.followUp.overdue)
    }

    static func level(_ level: Taizhang_Risk_V1_AlertLevel) -> String {
        switch level {
        case .red: return "red"
        case .yellow: return "yellow"
        default: return "green"
        }
    }

    /// Keeps the dashboard's open alerts in step with an event.
    func apply(_ event: Taizhang_Risk_V1_AlertEvent) {
        agent.views.withLock { views in
            if event.type == "cleared" {
                views[name]?.alerts.removeValue(forKey: event.alert.id)
            } else {
                var view = Self.view(event.alert)
                if let old = views[name]?.alerts[event.alert.id], event.alert.followUp.stateZh.isEmpty { (view.followUp, view.overdue) = (old.followUp, old.overdue) }
                if view.followUp.isEmpty { view.followUp = "待签收" }
                views[name]?.alerts[event.alert.id] = view
            }
        }
        agent.changed()
    }

    /// The notice of a daemon's event.
    func notice(_ event: Taizhang_Risk_V1_AlertEvent) -> Notice {
        let alert = event.alert
        return Notice(key: "\(name)/\(alert.id)/seq-\(event.seq)-\(Self.compact(event.time))", daemon: name, daemonTitle: daemon.title, alertId: alert.id, seq: event.seq,
                      transition: event.type, kind: alert.kind, kindZh: alert.kindZh,
                      level: event.type == "cleared" ? "green" : Self.level(alert.level), previousLevel: Self.level(event.previousLevel),
                      adminCode: alert.adminCode, subjectKind: alert.subjectKind, subjectId: alert.subjectID, subjectName: alert.subjectName,
                      message: event.message.isEmpty ? alert.message : event.message,
                      messageEn: event.messageEn.isEmpty ? alert.messageEn : event.messageEn, time: event.time, followUp: alert.followUp.stateZh)
    }

    /// "2026-12-07T02:00:11.484Z" → "20261207T020011484Z": the event's time
    /// in its key, so a seq the daemon gives again (an older alerts.db
    /// restored) is a different key.
    static func compact(_ time: String) -> String { String(time.filter { $0 != "-" && $0 != ":" && $0 != "." }) }

    /// The notice of an open alert re-read without its event.
    func reread(_ alert: Taizhang_Risk_V1_Alert) -> Notice {
        Notice(key: "\(name)/\(alert.id)/open-\(alert.changedAt)", daemon: name, daemonTitle: daemon.title, alertId: alert.id,
               transition: "open", kind: alert.kind, kindZh: alert.kindZh, level: Self.level(alert.level), previousLevel: "",
               adminCode: alert.adminCode, subjectKind: alert.subjectKind, subjectId: alert.subjectID, subjectName: alert.subjectName,
               message: alert.message, messageEn: alert.messageEn, time: alert.changedAt, followUp: alert.followUp.stateZh)
    }

    // MARK: - Health

    func pollLoop() async {
        while !Task.isCancelled {
            await poll()
            try? await Task.sleep(for: .seconds(agent.configuration.pollIntervalSeconds))
        }
    }

    /// One poll: Health, Status and the units' lights.
    func poll() async {
        let meta = metadata()
        do {
            let client = try await connect()
            defer { Task { await client.close() } }
            let health = try await client.unary(RPC.System.health, Taizhang_System_V1_HealthRequest(), metadata: meta, timeoutMillis: 5_000)
            let status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest(), metadata: meta, timeoutMillis: 5_000)
            let units = try? await lights(client, meta)
            try? await refreshAlerts(client, meta)
            await checkTreeHead(client, meta)
            guard health.status == .serving else { throw NotServing(reason: health.reason) }
            agent.views.withLock { views in
                guard var view = views[name] else { return }
                (view.up, view.serving, view.version, view.lastPoll, view.failures) = (true, true, status.version, agent.nowText, 0)
                view.error = ""
                view.openByLevel = status.alertsByLevel.mapValues { Int($0) }
                if let units { view.units = units }
                views[name] = view
            }
            recovered()
        } catch {
            let failures = agent.views.withLock { views -> Int in
                views[name]?.up = false
                views[name]?.serving = false
                views[name]?.error = "\(error)"
                views[name]?.lastPoll = agent.nowText
                views[name]?.failures += 1
                return views[name]?.failures ?? 1
            }
            if failures >= 2 { unreachable(error) }
        }
        agent.changed()
    }

    /// Every responsible unit with its light in the latest judged quarter,
    /// the quarter the daemon's unit_light alerts are about; a unit without
    /// targets for it is "unset".
    func lights(_ client: TaizhangClient, _ meta: [String: String]) async throws -> [UnitView] {
        let list = try await client.unary(RPC.Supervision.listUnits, Taizhang_Supervision_V1_ListUnitsRequest(), metadata: meta, timeoutMillis: 10_000)
        guard !list.units.isEmpty else { return [] }
        let ranking = try await client.unary(RPC.Supervision.rankUnits, Taizhang_Supervision_V1_RankUnitsRequest(), metadata: meta, timeoutMillis: 30_000)
        let ranks = Dictionary(ranking.ranks.map { ($0.unitID, $0) }, uniquingKeysWith: { first, _ in first })
        return list.units.map { unit in
            UnitView(id: unit.id, name: unit.name, kind: unit.kind == .department ? "department" : "township",
                     light: ranks[unit.id].map { Self.light($0.light) } ?? "unset", quarter: ranking.quarter)
        }
    }

    struct NotServing: Error, CustomStringConvertible {
        let reason: String
        var description: String { "NOT_SERVING: \(reason)" }
    }

    static func light(_ light: Taizhang_Supervision_V1_QuarterLight) -> String {
        let text = "\(light.light)".lowercased()
        for name in ["green", "yellow", "red", "pending", "unset"] where text.contains(name) { return name }
        return "unset"
    }

    /// Twice unreachable: the agent's own alert, once per incident; and
    /// the watch is started again (a half-open connection would hold it).
    func unreachable(_ error: any Error) {
        let now = agent.nowText
        var announced = false
        agent.announce { memory in
            guard memory.down[name] == nil else { return [] }
            memory.down[name] = now
            announced = true
            return [Notice(key: "\(name)/agent/down-\(now)", daemon: name, daemonTitle: daemon.title, transition: "daemon_down",
                           kind: "daemon_unreachable", kindZh: "守护进程不可达", level: "critical", adminCode: daemon.adminCode,
                           subjectKind: "daemon", subjectId: name, subjectName: daemon.title,
                           message: "【严重】\(daemon.title)台账守护进程连续两次无法访问：\(error)",
                           messageEn: "[critical] the daemon \(name) did not answer two polls running: \(error)", time: now)]
        }
        if let client = agent.watchClients.withLock({ $0.removeValue(forKey: name) }) { Task { await client.close() } }
        if announced { AgentLog.error("daemon \(name) is unreachable: \(error)") }
    }

    /// Answering again after an incident: the recovery.
    func recovered() {
        let now = agent.nowText
        var announced = false
        agent.announce { memory in
            guard let since = memory.down.removeValue(forKey: name) else { return [] }
            announced = true
            return [Notice(key: "\(name)/agent/up-\(since)", daemon: name, daemonTitle: daemon.title, transition: "daemon_up",
                           kind: "daemon_unreachable", kindZh: "守护进程不可达", level: "green", previousLevel: "critical",
                           adminCode: daemon.adminCode, subjectKind: "daemon", subjectId: name, subjectName: daemon.title,
                           message: "【已恢复】\(daemon.title)台账守护进程已恢复访问（自 \(since) 起不可达）",
                           messageEn: "[recovered] the daemon \(name) answers again (unreachable since \(since))", time: now)]
        }
        if announced { AgentLog.info("daemon \(name) answers again") }
    }

    // MARK: - Verification

    func verifyLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(secondsToNextVerify(from: agent.now())))
            if Task.isCancelled { return }
            await verify()
        }
    }

    /// Seconds until the next `verify-at` in China Standard Time (UTC+8,
    /// no daylight saving), or `verify-interval-seconds` when set.
    func secondsToNextVerify(from now: Date) -> Double {
        let interval = agent.configuration.verifyIntervalSeconds
        if interval > 0 { return Double(interval) }
        let at = agent.configuration.verifyAt
        let local = now.timeIntervalSince1970 + 8 * 3600
        let intoDay = local.truncatingRemainder(dividingBy: 86_400)
        var wait = Double(at.hour * 3600 + at.minute * 60) - intoDay
        if wait <= 0 { wait += 86_400 }
        return max(1, wait)
    }

    /// The daemon's full verification, against the last head kept.
    public func verify() async {
        let kept = HeadHistory.last(in: agent.headsPath(name))
        var request = Taizhang_Ledger_V1_VerifyAuditChainRequest()
        if let kept { (request.expectedHeadSeq, request.expectedHeadHash) = (kept.seq, kept.hash) }
        let result: Taizhang_Ledger_V1_VerifyAuditChainResponse
        do {
            let client = try await connect()
            defer { Task { await client.close() } }
            result = try await client.unary(RPC.Ledger.verifyAuditChain, request, metadata: metadata(), timeoutMillis: 3_600_000)
        } catch {
            AgentLog.error("daemon \(name): the verification could not run: \(error)")
            return
        }
        let now = agent.nowText
        agent.views.withLock {
            $0[name]?.verify = VerifyView(at: now, intact: result.intact, headSeq: result.headSeq, headHash: result.headHash, problem: result.problem)
        }
        agent.changed()
        if result.intact {
            agent.announce { memory in
                memory.verifyFailures.removeValue(forKey: name)
                return []
            }
            if kept?.seq != result.headSeq || kept?.hash != result.headHash {
                do { try HeadHistory.append(SeenHead(seq: result.headSeq, hash: result.headHash, seenAt: now), to: agent.headsPath(name)) } catch {
                    AgentLog.error("daemon \(name): the head could not be kept: \(error)")
                }
            }
            return
        }
        let notice = verifyNotice(result, kept: kept, at: now)
        AgentLog.error("daemon \(name): \(notice.messageEn)")
        // Announced once: the same failure found again is not sent again.
        agent.announce { memory in
            guard memory.verifyFailures[name] != notice.key else { return [] }
            memory.verifyFailures[name] = notice.key
            return [notice]
        }
    }

    func verifyNotice(_ result: Taizhang_Ledger_V1_VerifyAuditChainResponse, kept: SeenHead?, at now: String) -> Notice {
        let now_ = "\(result.headSeq) \(result.headHash.prefix(16))…"
        if let kept, result.problem.contains("does not extend") || result.headSeq < kept.seq {
            let was = "\(kept.seq) \(kept.hash.prefix(16))…"
            return Notice(key: "\(name)/agent/head-\(kept.seq)-\(kept.hash.prefix(16))",
                          daemon: name, daemonTitle: daemon.title, transition: "head_not_extended", kind: "audit_head_not_extended",
                          kindZh: "审计日志被截断或改写", level: "critical", adminCode: daemon.adminCode, subjectKind: "daemon", subjectId: name,
                          subjectName: daemon.title,
                          message: "【严重】\(daemon.title)台账的审计日志不再延续此前记录的日志头（此前 \(was)，现在 \(now_)）：日志可能被截断、改写或恢复了旧备份。\(result.problem)",
                          messageEn: "[critical] the journal of \(name) does not extend the head kept (kept \(kept.seq) \(kept.hash), now \(result.headSeq) \(result.headHash)): cut, rewritten or an old backup restored. \(result.problem)",
                          time: now)
        }
        return Notice(key: "\(name)/agent/verify-\(result.firstBrokenSeq)-\(SHA256.hex(Array(result.problem.utf8)).prefix(16))",
                      daemon: name, daemonTitle: daemon.title, transition: "verify_failed", kind: "audit_verify_failed",
                      kindZh: "台账与审计日志不符", level: "critical", adminCode: daemon.adminCode, subjectKind: "daemon", subjectId: name,
                      subjectName: daemon.title,
                      message: "【严重】\(daemon.title)台账核验未通过（日志头 \(now_)）：\(result.problem)",
                      messageEn: "[critical] the verification of \(name) failed (head \(now_)): \(result.problem)", time: now)
    }
}
