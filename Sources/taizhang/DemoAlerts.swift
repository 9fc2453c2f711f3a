// taizhang demo load, the alerts' follow-up (issue 20, docs/risk.md): after
// the rest of the demo, once the monitor has judged it, some open alerts are
// taken up by two people of the county, a village clerk who rectifies and a
// township reviewer who checks: a yellow alert closed after a talk (约谈), a
// red one closed after a decision on accountability (问责), one being
// rectified to a deadline of today (overdue, and escalated, from tomorrow),
// one acknowledged; the rest wait, and are escalated once their working
// days for acknowledgement pass. Run in local mode: `actor` names the person.

import ArgumentParser
import Foundation
import SwiftProtobuf
import TaizhangClient
import TaizhangCore
import TaizhangProto

extension DemoCommand.Load {
    /// What the demo did with the alerts.
    struct AlertCounts {
        var closedAfterTalk = 0, closedAfterAccountability = 0, rectifying = 0, acknowledged = 0, waiting = 0
    }

    /// The two people of the follow-up.
    static let clerk = "白马村会计 李红"
    static let reviewer = "熊河镇审核员 王强"

    func loadAlertFollowUps(_ client: TaizhangClient) async throws -> AlertCounts {
        var counts = AlertCounts()
        guard try await monitorCaughtUp(client) else { return counts }
        var request = Taizhang_Risk_V1_ListAlertsRequest()
        request.state = .open
        request.pageSize = 1000
        let open = try await global.call(client, RPC.Risk.listAlerts, request).alerts.filter { !$0.ledgerID.isEmpty }.sorted { $0.id < $1.id }
        // By the highest level each reached: what closing it needs follows that.
        let yellow = open.filter { $0.followUp.peakLevel == .yellow }
        let red = open.filter { $0.followUp.peakLevel == .red }
        let today = ChinaDate.today
        if let alert = yellow.first {
            try await rectify(client, alert, deadline: today)
            try await step(client, RPC.Risk.recordTalk, .with {
                $0.alertID = alert.ledgerID; $0.date = today; $0.interviewer = "熊河镇副镇长 赵明"; $0.interviewee = "\(alert.subjectName)负责人"
                $0.notes = "说明预警原因，要求限期整改并按季报送"
            }, as: Self.reviewer, key: "talk-\(alert.ledgerID)")
            try await step(client, RPC.Risk.closeAlert, .with { $0.alertID = alert.ledgerID; $0.date = today; $0.note = "复核整改到位，予以销号" },
                           as: Self.reviewer, key: "close-\(alert.ledgerID)")
            counts.closedAfterTalk = 1
        }
        if let alert = red.first {
            try await rectify(client, alert, deadline: today)
            try await step(client, RPC.Risk.recordAccountability, .with {
                $0.alertID = alert.ledgerID; $0.date = today; $0.decision = "通报批评"; $0.person = "\(alert.subjectName)负责人"
                $0.document = .with { $0.name = "关于通报批评的决定"; $0.kind = "other"; $0.sha256 = Self.digest("问责决定-\(alert.ledgerID)") }
            }, as: Self.reviewer, key: "accountability-\(alert.ledgerID)")
            try await step(client, RPC.Risk.closeAlert, .with { $0.alertID = alert.ledgerID; $0.date = today; $0.note = "问责到位，整改复核通过" },
                           as: Self.reviewer, key: "close-\(alert.ledgerID)")
            counts.closedAfterAccountability = 1
        }
        if let alert = yellow.dropFirst().first {
            try await takeUp(client, alert, deadline: today)
            counts.rectifying = 1
        }
        if let alert = red.dropFirst().first {
            try await step(client, RPC.Risk.acknowledgeAlert, .with { $0.alertID = alert.ledgerID; $0.date = today }, as: Self.clerk, key: "ack-\(alert.ledgerID)")
            counts.acknowledged = 1
        }
        counts.waiting = open.count - counts.closedAfterTalk - counts.closedAfterAccountability - counts.rectifying - counts.acknowledged
        return counts
    }

    /// Waits until the monitor has judged every change the demo made (its
    /// runs after commits, which also give the ledger its alerts); false
    /// when the monitor is switched off or does not catch up within 30 s.
    /// It asks for no run of its own: the load is judged by the runs its
    /// changes bring about, as a county's day is.
    func monitorCaughtUp(_ client: TaizhangClient) async throws -> Bool {
        let deadline = CLI.clock.monotonicNanos() + 30_000_000_000
        while CLI.clock.monotonicNanos() < deadline {
            let status = try await global.call(client, RPC.System.status, Taizhang_System_V1_StatusRequest())
            guard status.lastRiskRun.enabled else { return false }
            if !status.lastRiskRun.changesPending, status.lastRiskRun.runs > 0 { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Acknowledged, assigned and planned by the clerk, to `deadline`.
    func takeUp(_ client: TaizhangClient, _ alert: Taizhang_Risk_V1_Alert, deadline: String) async throws {
        let today = ChinaDate.today
        try await step(client, RPC.Risk.acknowledgeAlert, .with { $0.alertID = alert.ledgerID; $0.date = today }, as: Self.clerk, key: "ack-\(alert.ledgerID)")
        try await step(client, RPC.Risk.assignAlert, .with {
            $0.alertID = alert.ledgerID; $0.date = today; $0.assignee = "李红"; $0.unitCode = alert.adminCode
        }, as: Self.clerk, key: "assign-\(alert.ledgerID)")
        try await step(client, RPC.Risk.planRectification, .with {
            $0.alertID = alert.ledgerID; $0.date = today; $0.measures = "核实情况，督促经营主体整改并补齐材料"; $0.deadline = deadline
        }, as: Self.clerk, key: "plan-\(alert.ledgerID)")
    }

    /// Taken up, then rectified with evidence, by the clerk.
    func rectify(_ client: TaizhangClient, _ alert: Taizhang_Risk_V1_Alert, deadline: String) async throws {
        try await takeUp(client, alert, deadline: deadline)
        try await step(client, RPC.Risk.recordRectification, .with {
            $0.alertID = alert.ledgerID; $0.date = ChinaDate.today; $0.note = "已整改，材料附后"
            $0.evidence = [.with { $0.name = "整改情况报告"; $0.kind = "other"; $0.sha256 = Self.digest("整改报告-\(alert.ledgerID)") }]
        }, as: Self.clerk, key: "rectify-\(alert.ledgerID)")
    }

    /// One step as `person` (the call's actor), with an idempotency key of the demo's.
    func step<Request: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: RPCMethod<Request, Taizhang_Risk_V1_Alert>, _ request: Request,
                                              as person: String, key: String) async throws {
        var metadata = global.metadata
        metadata["actor"] = person
        metadata["idempotency-key"] = "demo-alert-\(key)"
        do {
            _ = try await client.unary(method.path, request, as: Taizhang_Risk_V1_Alert.self, metadata: metadata)
        } catch let error as RPCError {
            printError("\(method.path) failed: \(error)")
            throw ExitCode(Int32(10 + error.status.code.rawValue))
        }
    }

    /// The SHA-256 of the text the demo writes for a document.
    static func digest(_ text: String) -> String { SHA256.hex(Array(text.utf8)) }
}
