// taizhang demo load, the units' lights (issue 21, docs/supervision.md):
// three township governments and two county departments answer for a
// project each in the last year whose four quarters are all judged, with
// quarterly targets, the funds allocated and paid, and the milestones
// reached; their lights over the four quarters are green, yellow and red:
// 郝穴镇 and 县农业农村局 green throughout, 熊河镇 yellow once, 白马寺镇
// green, yellow, red, red (the year missed), 县水利局 green, yellow, red and
// green again (the year made up in Q4). An operating entity is assessed
// weak before 县水利局's project starts (000 二(一)).

import Foundation
import TaizhangClient
import TaizhangCore
import TaizhangDemo
import TaizhangProto
import TaizhangSheets

extension DemoCommand.Load {
    /// One unit of the demo and its year.
    struct DemoUnit {
        var name: String
        var kind: Taizhang_Supervision_V1_UnitKind
        var code: String
        var head: String
        var post: String
        /// Where its project lies.
        var projectCode: String
        /// Spending in each quarter, in 10,000 yuan (the target is 50 each).
        var spending: [Int64]
    }

    static let demoUnits = [
        DemoUnit(name: "郝穴镇人民政府", kind: .township, code: "421024100000", head: "刘建华", post: "镇长", projectCode: "421024100000", spending: [50, 60, 50, 55]),
        DemoUnit(name: "熊河镇人民政府", kind: .township, code: "421024101000", head: "周国平", post: "镇长", projectCode: "421024101000", spending: [50, 30, 50, 90]),
        DemoUnit(name: "白马寺镇人民政府", kind: .township, code: "421024102000", head: "陈志强", post: "镇长", projectCode: "421024102000", spending: [50, 20, 10, 50]),
        DemoUnit(name: "县农业农村局", kind: .department, code: DemoCounty.countyCode, head: "黄德明", post: "局长", projectCode: "421024104000", spending: [55, 50, 50, 50]),
        DemoUnit(name: "县水利局", kind: .department, code: DemoCounty.countyCode, head: "吴春华", post: "局长", projectCode: "421024105000", spending: [50, 25, 0, 125]),
    ]

    /// The last year whose fourth quarter was judged (10 days after it ended).
    static func demoYear(_ today: CivilDate) -> Int {
        today >= CivilDate(year: today.year, month: 1, day: 10)! ? today.year - 1 : today.year - 2
    }

    /// Loads the units, their projects and their year; the count of each light.
    func loadSupervision(_ client: TaizhangClient) async throws -> [Taizhang_Supervision_V1_Light: Int] {
        let year = Self.demoYear(CLI.clock.today())
        let entity = try await global.call(client, RPC.Ledger.listEntities, Taizhang_Ledger_V1_ListEntitiesRequest.with { $0.pageSize = 1 }).entities.first
        var lights: [Taizhang_Supervision_V1_Light: Int] = [:]
        for (index, demo) in Self.demoUnits.enumerated() {
            let unit = try await supervise(client, RPC.Supervision.registerUnit, .with {
                $0.unit.name = demo.name; $0.unit.kind = demo.kind; $0.unit.adminCode = demo.code; $0.unit.head = demo.head; $0.unit.headPost = demo.post
            }, key: "unit-\(index)").id
            let project = "JL-\(year)-DB\(index + 1)"
            _ = try await global.call(client, RPC.Ledger.createProject, .with {
                $0.project.id = project; $0.project.name = "\(demo.name.replacingOccurrences(of: "人民政府", with: ""))\(year)年度衔接资金产业项目"
                $0.project.year = Int32(year); $0.project.implementingUnit = demo.name; $0.project.adminCode = demo.projectCode
            }, as: Taizhang_Ledger_V1_Project.self, idempotencyKey: "demo-sup-project-\(index)")
            try await runYear(client, demo, unit: unit, project: project, year: year, index: index, assessing: index == 4 ? entity?.id : nil)
            let judged = try await global.call(client, RPC.Supervision.getUnitLights, .with { $0.unitID = unit; $0.year = Int32(year) })
            for quarter in judged.quarters { lights[quarter.light, default: 0] += 1 }
        }
        return lights
    }

    /// A unit's project through its year: approved, funded, assessed (when
    /// `assessing` names an entity), its milestones, its payments, its targets.
    func runYear(_ client: TaizhangClient, _ demo: DemoUnit, unit: String, project: String, year: Int, index: Int, assessing entity: String?) async throws {
        let day = { (month: Int, date: Int) in Format.date(year: year, month: month, day: date) }
        let document = { (name: String) in Taizhang_Ledger_V1_Document.with { $0.name = name; $0.kind = "other"; $0.sha256 = Self.digest("\(project)-\(name)") } }
        try await reach(client, project, .approved, day(1, 6), document("立项批复"), unit: unit, key: "\(index)-approved")
        _ = try await supervise(client, RPC.Supervision.recordAllocation, .with {
            $0.projectID = project
            $0.allocation = .with { $0.year = Int32(year); $0.source = .linkage; $0.level = .central; $0.amountFen = 300_000_000; $0.date = day(1, 10); $0.document = document("资金下达文件") }
        }, key: "allocation-\(index)")
        if let entity {
            _ = try await supervise(client, RPC.Supervision.assessProject, .with {
                $0.projectID = project; $0.entityID = entity; $0.date = day(2, 15); $0.assessors = "县农业农村局 项目股"
                $0.facts = .with {
                    $0.annualOutputFen = 40_000_000; $0.investmentFen = 300_000_000; $0.channels = ["批发市场"]; $0.orderSharePercent = 10
                    $0.householdsLinked = 12; $0.householdsPlanned = 40
                }
            }, key: "assessment-\(index)")
        }
        let reached: [(Taizhang_Supervision_V1_Milestone, String)] = [(.tendered, day(2, 20)), (.contractSigned, day(3, 15)), (.started, day(4, 10))]
        for (milestone, date) in reached {
            try await reach(client, project, milestone, date, document(Names.milestone.name(of: milestone.rawValue)), unit: "", key: "\(index)-\(milestone.rawValue)")
        }
        for (quarter, tenThousands) in demo.spending.enumerated() where tenThousands > 0 {
            _ = try await supervise(client, RPC.Supervision.recordDisbursement, .with {
                $0.projectID = project
                $0.disbursement = .with {
                    $0.source = .linkage; $0.level = .central; $0.amountFen = tenThousands * 1_000_000; $0.date = day(quarter * 3 + 2, 15)
                    $0.payee = "江陵县农建工程有限公司"; $0.document = document("支付凭证\(quarter + 1)")
                }
            }, key: "payment-\(index)-\(quarter)")
        }
        // 500,000 yuan a quarter; the department also to have its project tendered by Q1's end and started by Q2's.
        let milestones: [[Taizhang_Supervision_V1_MilestoneTarget]] = demo.kind == .department && index == 3
            ? [[.with { $0.projectID = project; $0.milestone = .tendered }], [.with { $0.projectID = project; $0.milestone = .started }], [], []]
            : [[], [], [], []]
        _ = try await supervise(client, RPC.Supervision.setUnitTargets, .with { request in
            request.unitID = unit; request.year = Int32(year); request.date = day(1, 5)
            request.quarters = milestones.map { wanted in .with { $0.spendFen = 50_000_000; $0.milestones = wanted } }
        }, key: "targets-\(index)")
    }

    func reach(_ client: TaizhangClient, _ project: String, _ milestone: Taizhang_Supervision_V1_Milestone, _ date: String,
                   _ document: Taizhang_Ledger_V1_Document, unit: String, key: String) async throws {
        _ = try await supervise(client, RPC.Supervision.recordMilestone, .with {
            $0.projectID = project; $0.milestone = milestone; $0.date = date; $0.document = document; $0.unitID = unit
        }, key: "milestone-\(key)")
    }

    /// One call of the demo, resent safely (its idempotency key).
    func supervise<Request, Response>(_ client: TaizhangClient, _ method: RPCMethod<Request, Response>, _ request: Request, key: String) async throws -> Response {
        try await global.call(client, method, request, idempotencyKey: "demo-sup-\(key)")
    }
}
