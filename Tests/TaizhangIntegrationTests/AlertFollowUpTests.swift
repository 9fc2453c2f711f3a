// An alert followed through to 销号 over the real daemon with an access
// file (issue 20): the monitor's alert in the ledger, every step by named
// identities, the rectifier refused the close (separation of duties) also
// after its identity was renamed (the access file's immutable id decides),
// the close waiting for its talk (约谈) or decision on accountability (问责),
// the trail, and an edit of the alert's row behind the daemon's back found.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct AlertFollowUpTests {
    static let risk = "/taizhang.risk.v1.Risk/"
    static let sha = String(repeating: "ab", count: 32)

    /// The access file: the county's root, a village clerk who also approves
    /// (named `fixer`, id p-fixer), and another approver of 熊河镇.
    static func writeAccess(_ path: String, fixer: String, fixerRoles: String = #""roles": ["village_clerk", "approver"]"#) throws {
        let text = """
            {"identities": [
              {"name": "county-root", "id": "p-root", "roles": ["county_clerk", "approver", "auditor", "administrator"], "uids": [0]},
              {"name": "\(fixer)", "id": "p-fixer", \(fixerRoles), "scope": "421024101000"},
              {"name": "xionghe-checker", "id": "p-checker", "role": "approver", "scope": "421024101000"}
            ], "tokens": []}
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func step<Request: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: Request,
                                                     as token: String) async throws -> (Taizhang_Rpc_V1_Status, Taizhang_Risk_V1_Alert?) {
        let response = try await client.call(risk + method, payload: try request.serializedData(), metadata: AccessFixture.bearer(token))
        if response.hasStatus, response.status.code != .ok { return (response.status, nil) }
        return (Taizhang_Rpc_V1_Status(), try Taizhang_Risk_V1_Alert(serializedBytes: response.payload))
    }

    @Test func anAlert_isFollowedThrough_byPersonsNotNames_andItsRowIsVouchedFor() async throws {
        let access = NSTemporaryDirectory() + "tz-follow-" + String(UUID().uuidString.prefix(8)) + ".json"
        defer { try? FileManager.default.removeItem(atPath: access) }
        try Self.writeAccess(access, fixer: "baima-fixer")
        let fixer = try AccessFixture.token(access, identity: "baima-fixer")
        let checker = try AccessFixture.token(access, identity: "xionghe-checker")
        let first = try DaemonProcess(extraArguments: ["--access-file", access])
        let client = try await first.connect()
        let (entity, _) = try await RiskMonitorTests.seedOperations(client)
        _ = try await client.unary(Self.risk + "RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        let listed = try await client.unary(Self.risk + "ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.subjectID = entity },
                                            as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        let alert = try #require(listed.first { $0.open }, "the entity has an open alert")
        #expect(alert.ledgerID == String(format: "YJ%08d", alert.id))
        #expect(alert.followUp.state == "pending" && alert.followUp.owed)
        let id = alert.ledgerID
        let today = Quarters.todayText

        // The fixer takes it to rectified.
        for (method, request) in [
            ("AcknowledgeAlert", Taizhang_Risk_V1_AcknowledgeAlertRequest.with { $0.alertID = id; $0.date = today } as any SwiftProtobuf.Message),
            ("AssignAlert", Taizhang_Risk_V1_AssignAlertRequest.with { $0.alertID = id; $0.date = today; $0.assignee = "李四"; $0.unitCode = "421024101201" }),
            ("PlanRectification", Taizhang_Risk_V1_PlanRectificationRequest.with { $0.alertID = id; $0.date = today; $0.measures = "补报季度报表"; $0.deadline = today }),
            ("RecordRectification", Taizhang_Risk_V1_RecordRectificationRequest.with {
                $0.alertID = id; $0.date = today; $0.note = "已补报"; $0.evidence = [.with { $0.name = "报送回执"; $0.kind = "other"; $0.sha256 = Self.sha }]
            }),
        ] {
            let (status, answer) = try await Self.step(client, method, request, as: fixer)
            #expect(status.code == .ok, "\(method): \(status.message)")
            #expect(answer?.followUp.steps.last?.personID == "p-fixer")
        }
        let own = try await Self.step(client, "CloseAlert", Taizhang_Risk_V1_CloseAlertRequest.with { $0.alertID = id; $0.date = today }, as: fixer)
        #expect(own.0.code == .failedPrecondition && own.0.message.contains("separation of duties"), "\(own.0.message)")
        await client.close()
        #expect(first.stop() == 0)

        // Renamed in the access file, the same person still may not close it.
        try Self.writeAccess(access, fixer: "baima-renamed")
        let renamed = try AccessFixture.token(access, identity: "baima-renamed")
        let checkerAgain = try AccessFixture.token(access, identity: "xionghe-checker")
        _ = checker
        let second = try DaemonProcess(dataDirectory: first.dataDirectory, extraArguments: ["--access-file", access])
        let again = try await second.connect()
        let close = Taizhang_Risk_V1_CloseAlertRequest.with { $0.alertID = id; $0.date = today; $0.note = "复核通过" }
        let stillOwn = try await Self.step(again, "CloseAlert", close, as: renamed)
        #expect(stillOwn.0.code == .failedPrecondition && stillOwn.0.message.contains("separation of duties"), "\(stillOwn.0.message)")
        // The checker: first the talk or the decision the level needs.
        let early = try await Self.step(again, "CloseAlert", close, as: checkerAgain)
        #expect(early.0.code == .failedPrecondition)
        #expect(early.0.message.contains(alert.level == .red ? "问责" : "约谈"), "\(early.0.message)")
        let talk = Taizhang_Risk_V1_RecordTalkRequest.with { $0.alertID = id; $0.date = today; $0.interviewer = "熊河镇镇长"; $0.interviewee = "合作社理事长"; $0.notes = "限期补报" }
        #expect(try await Self.step(again, "RecordTalk", talk, as: checkerAgain).0.code == .ok)
        let decision = Taizhang_Risk_V1_RecordAccountabilityRequest.with {
            $0.alertID = id; $0.date = today; $0.decision = "通报批评"; $0.person = "合作社理事长"; $0.document = .with { $0.name = "问责决定"; $0.sha256 = Self.sha }
        }
        #expect(try await Self.step(again, "RecordAccountability", decision, as: checkerAgain).0.code == .ok)
        let closed = try await Self.step(again, "CloseAlert", close, as: checkerAgain)
        #expect(closed.0.code == .ok, "\(closed.0.message)")
        #expect(closed.1?.followUp.state == "closed")
        let trail = try await again.unary(Self.risk + "GetAlert", Taizhang_Risk_V1_GetAlertRequest.with { $0.alertID = String(alert.id) },
                                          as: Taizhang_Risk_V1_Alert.self).followUp.steps
        #expect(trail.map(\.action) == ["acknowledge", "assign", "plan", "rectify", "talk", "accountability", "close"])
        #expect(trail.map(\.personID) == ["p-fixer", "p-fixer", "p-fixer", "p-fixer", "p-checker", "p-checker", "p-checker"])
        #expect(trail[3].person == "baima-fixer", "the name the rectifier had then")
        let intact = try await again.unary("/taizhang.ledger.v1.Ledger/VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                           as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
        #expect(intact.intact, "\(intact.mismatches)")
        await again.close()
        #expect(second.stop() == 0)

        // Closed behind the daemon's back, then reopened in the row: found.
        let database = first.dataDirectory + "/taizhang.db"
        #expect(try TamperTests.sqlite3(database, """
            UPDATE stewardship_records SET state = 'pending', record_json = replace(record_json, '"state":"closed"', '"state":"pending"') WHERE id = '\(id)';
            """) == 0)
        let third = try DaemonProcess(dataDirectory: first.dataDirectory, extraArguments: ["--access-file", access])
        defer { third.stop() }
        let last = try await third.connect()
        defer { Task { await last.close() } }
        let verified = try await last.unary("/taizhang.ledger.v1.Ledger/VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                            as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
        #expect(!verified.intact)
        #expect(verified.mismatches.contains { $0.table == "stewardship_records" && $0.id == id }, "\(verified.mismatches)")
    }

    @Test func aDraft_isDecidedByAnotherPerson_evenAfterItsDrafterIsRenamed() async throws {
        let access = NSTemporaryDirectory() + "tz-draft-" + String(UUID().uuidString.prefix(8)) + ".json"
        defer { try? FileManager.default.removeItem(atPath: access) }
        try Self.writeAccess(access, fixer: "baima-fixer", fixerRoles: #""roles": ["county_clerk", "approver"]"#)
        let drafter = try AccessFixture.token(access, identity: "baima-fixer")
        let first = try DaemonProcess(extraArguments: ["--access-file", access])
        let client = try await first.connect()
        try await Fixture.seed(client)
        let sold = try await Fixture.register(client, Fixture.asset(code: "REN-1"))
        let drafted = try await client.unary("/taizhang.ledger.v1.Ledger/DisposeAsset", StewardshipTests.disposal(asset: sold.id),
                                             as: Taizhang_Ledger_V1_Disposal.self, metadata: AccessFixture.bearer(drafter))
        #expect(drafted.signOff.draftedBy == "baima-fixer" && drafted.signOff.draftedByID == "p-fixer")
        await client.close()
        #expect(first.stop() == 0)

        try Self.writeAccess(access, fixer: "baima-renamed", fixerRoles: #""roles": ["county_clerk", "approver"]"#)
        let renamed = try AccessFixture.token(access, identity: "baima-renamed")
        let checker = try AccessFixture.token(access, identity: "xionghe-checker")
        let second = try DaemonProcess(dataDirectory: first.dataDirectory, extraArguments: ["--access-file", access])
        defer { second.stop() }
        let again = try await second.connect()
        defer { Task { await again.close() } }
        let approve = Taizhang_Ledger_V1_ApproveDisposalRequest.with { $0.disposalID = drafted.id; $0.decision = .approve; $0.date = "2026-09-20" }
        let own = try await again.call("/taizhang.ledger.v1.Ledger/ApproveDisposal", payload: try approve.serializedData(), metadata: AccessFixture.bearer(renamed))
        #expect(own.status.code == .permissionDenied && own.status.message.contains("separation of duties"), "\(own.status.message)")
        let decided = try await again.unary("/taizhang.ledger.v1.Ledger/ApproveDisposal", approve, as: Taizhang_Ledger_V1_Disposal.self,
                                            metadata: AccessFixture.bearer(checker))
        #expect(decided.signOff.state == .signOffApproved && decided.signOff.decidedByID == "p-checker")
    }

    @Test func localMode_needsAnActor_andTheSameRulesApply() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        let (entity, _) = try await RiskMonitorTests.seedOperations(client)
        _ = try await client.unary(Self.risk + "RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        let alert = try #require(try await client.unary(Self.risk + "ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.subjectID = entity },
                                                        as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts.first)
        let ack = Taizhang_Risk_V1_AcknowledgeAlertRequest.with { $0.alertID = alert.ledgerID; $0.date = Quarters.todayText }
        let anonymous = try await client.call(Self.risk + "AcknowledgeAlert", payload: try ack.serializedData())
        #expect(anonymous.status.code == .invalidArgument)
        #expect(anonymous.status.violations.map(\.field) == ["actor"])
        let named = try await client.call(Self.risk + "AcknowledgeAlert", payload: try ack.serializedData(), metadata: ["actor": "张三"])
        #expect(!named.hasStatus || named.status.code == .ok, "\(named.status.message)")
        let acknowledged = try Taizhang_Risk_V1_Alert(serializedBytes: named.payload)
        #expect(acknowledged.followUp.steps.first?.personID == "actor:张三")
        #expect(acknowledged.followUp.steps.first?.identity.hasPrefix("local (uid:") == true)
        // A step out of order names what comes first.
        let close = Taizhang_Risk_V1_CloseAlertRequest.with { $0.alertID = alert.ledgerID; $0.date = Quarters.todayText }
        let early = try await client.call(Self.risk + "CloseAlert", payload: try close.serializedData(), metadata: ["actor": "王五"])
        #expect(early.status.code == .failedPrecondition && early.status.message.contains("rectified with evidence"), "\(early.status.message)")
        // An alert that does not exist, and a malformed id.
        let missing = try await client.call(Self.risk + "GetAlert", payload: try Taizhang_Risk_V1_GetAlertRequest.with { $0.alertID = "YJ99999999" }.serializedData())
        #expect(missing.status.code == .notFound)
        let malformed = try await client.call(Self.risk + "AcknowledgeAlert", payload: try Taizhang_Risk_V1_AcknowledgeAlertRequest.with { $0.alertID = "ZC1" }.serializedData(),
                                              metadata: ["actor": "张三"])
        #expect(malformed.status.code == .invalidArgument)
        #expect(Set(malformed.status.violations.map(\.field)) == ["alert_id", "date"])
        // The follow-up queue: acknowledged ones, by state.
        let queue = try await client.unary(Self.risk + "ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.followUpStates = ["acknowledged"] },
                                           as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        #expect(queue.map(\.ledgerID) == [alert.ledgerID])
        // Page by page, one at a time, the queue of those waiting ends.
        var request = Taizhang_Risk_V1_ListAlertsRequest.with { $0.followUpStates = ["pending", "acknowledged"]; $0.pageSize = 1 }
        var paged: [String] = []
        repeat {
            let page = try await client.unary(Self.risk + "ListAlerts", request, as: Taizhang_Risk_V1_ListAlertsResponse.self)
            paged += page.alerts.map(\.ledgerID)
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty && paged.count < 100
        let all = try await client.unary(Self.risk + "ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.state = .any },
                                         as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts.filter { ["pending", "acknowledged"].contains($0.followUp.state) && $0.followUp.owed }
        #expect(paged == paged.sorted() && Set(paged) == Set(all.map(\.ledgerID)), "\(paged)")
        let foreign = try await client.call(Self.risk + "ListAlerts", payload: try Taizhang_Risk_V1_ListAlertsRequest.with {
            $0.followUpStates = ["pending"]; $0.pageToken = "djE6NDI"  // "v1:42", a token of the newest-first listing
        }.serializedData())
        #expect(foreign.status.violations.map(\.field) == ["page_token"])
        let badState = try await client.call(Self.risk + "ListAlerts", payload: try Taizhang_Risk_V1_ListAlertsRequest.with { $0.followUpStates = ["done"] }.serializedData())
        #expect(badState.status.violations.map(\.field) == ["follow_up_states[0]"])
    }
}
