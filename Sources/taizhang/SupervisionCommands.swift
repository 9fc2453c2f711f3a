// taizhang supervision units | register | targets | milestone | allocate |
// pay | progress | lights | rank | publish: the supervision of fund use and
// project implementation (issue 21; docs/supervision.md). The units that
// answer for projects (township governments, county departments) and their
// quarterly targets; each project's milestones, allocations and payments;
// each unit's light per quarter; the quarter's ranking 一季一督导一评比 and
// the half-year page 半年一晾晒. Amounts are typed in yuan and sent in fen,
// exactly; tables are Chinese by default, English with --lang en.

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangProto
import TaizhangSheets

/// `taizhang supervision`: responsible units, targets, funds, milestones, lights.
struct SupervisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervision",
        abstract: "Responsible units, their quarterly targets and lights, projects' funds and milestones (一季一督导一评比, 半年一晾晒).",
        discussion: """
        Each township government or county department answering for projects has, each year, a target per quarter: \
        money to spend within it and milestones to reach by its end. After a quarter ends the unit is judged: \
        green (every target met), yellow (a target missed: 约谈提醒) or red (missed two quarters running, or the \
        year's target at the fourth: 问责). `rank` is the quarter's ranking, `publish` the half-year page. \
        Amounts are in yuan with at most two decimals; dates are YYYY-MM-DD.
        """,
        subcommands: [Units.self, Register.self, Targets.self, RecordMilestone.self, Allocate.self, Pay.self, ShowProgress.self,
                      Lights.self, Rank.self, Publish.self])
}

// MARK: Names and amounts

/// The bilingual names of the supervision enums, for options and tables.
enum SupervisionLabels {
    /// (option name, value, Chinese name).
    static let kinds: [(String, Taizhang_Supervision_V1_UnitKind, String)] = [
        ("township", .township, "乡镇"), ("department", .department, "县直部门"),
    ]
    /// Where allocated money comes from (级次).
    static let levels: [(String, Taizhang_Supervision_V1_FundLevel, String)] = [
        ("central", .central, "中央"), ("provincial", .provincial, "省级"), ("city", .city, "市级"), ("county", .county, "县级"),
        ("other", .otherLevel, "其他"),
    ]
    /// A project's milestones, in the order they are reached.
    static let milestones: [(String, Taizhang_Supervision_V1_Milestone, String)] = [
        ("approved", .approved, "立项批复"), ("tendered", .tendered, "招标"), ("contract_signed", .contractSigned, "签订合同"),
        ("started", .started, "开工"), ("completed", .completed, "完工"), ("accepted", .accepted, "验收"), ("handed_over", .handedOver, "资产移交"),
    ]
    /// The ledger's funding sources.
    static let sources: [(String, Taizhang_Ledger_V1_FundingSource, String)] = [
        ("central_special", .centralSpecial, "中央财政专项扶贫资金"), ("integrated", .integrated, "统筹整合涉农资金"),
        ("relocation", .relocation, "易地扶贫搬迁资金"), ("local_government_debt", .localGovernmentDebt, "地方政府债务资金"),
        ("industry", .industry, "行业部门资金"), ("financial", .financial, "金融资金"), ("social_donation", .socialDonation, "社会捐赠"),
        ("local_fiscal", .localFiscal, "地方财政资金"), ("other", .otherFunding, "其他"), ("linkage", .linkage, "衔接推进乡村振兴补助资金"),
    ]
    /// A quarter's light.
    static let lights: [(String, Taizhang_Supervision_V1_Light, String)] = [
        ("pending", .pending, "待评"), ("no_targets", .unset, "未设目标"), ("green", .green, "绿灯"), ("yellow", .yellow, "黄灯"), ("red", .red, "红灯"),
    ]

    /// The value named `text` (its English or Chinese name); a ValidationError naming the option otherwise.
    static func parse<T>(_ table: [(String, T, String)], _ text: String, option: String) throws -> T {
        if let found = table.first(where: { $0.0 == text || $0.2 == text }) { return found.1 }
        throw ValidationError("\(option) \(text): use one of \(table.map { "\($0.0) (\($0.2))" }.joined(separator: ", "))")
    }

    /// The name of `value` in `language`: Chinese, or the English name with spaces ("contract signed").
    static func name<T: Equatable>(_ table: [(String, T, String)], _ value: T, _ language: Language) -> String {
        guard let found = table.first(where: { $0.1 == value }) else { return "-" }
        return language == .zh ? found.2 : found.0.replacingOccurrences(of: "_", with: " ")
    }

    /// An amount in yuan as fen, exactly (no floating point): "20000.50" → 2000050.
    /// At most two decimals; anything else is a ValidationError naming the option.
    static func fen(_ text: String, option: String) throws -> Int64 {
        guard let fen = Money.fen(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("\(option) \(text): write an amount in yuan with at most two decimals, e.g. 10000 or 20000.50")
        }
        return fen
    }

    /// "Q1,Q2,Q3,Q4" in yuan → the four quarters' spending in fen.
    static func quarterSpend(_ text: String) throws -> [Int64] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else {
            throw ValidationError("--spend \(text): write the four quarters' spending in yuan, Q1 to Q4, separated by commas, e.g. 10000,10000,0,20000.50")
        }
        return try parts.map { try fen($0, option: "--spend") }
    }

    /// "QUARTER:PROJECT:MILESTONE" (e.g. "2:JL-2026-001:tendered" or "Q2:…") → the quarter (1–4) and its milestone target.
    static func milestoneTarget(_ text: String) throws -> (Int, Taizhang_Supervision_V1_MilestoneTarget) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let number = parts.first.map { $0.hasPrefix("Q") || $0.hasPrefix("q") ? String($0.dropFirst()) : $0 }.flatMap { Int($0) }
        guard parts.count == 3, let number, (1...4).contains(number), !parts[1].isEmpty else {
            throw ValidationError("--milestone \(text): write QUARTER:PROJECT:MILESTONE, e.g. 2:JL-2026-001:tendered")
        }
        let milestone = try parse(milestones, parts[2], option: "--milestone")
        return (number, .with { $0.projectID = parts[1]; $0.milestone = milestone })
    }

    /// The four quarters' targets: the spending of `spend`, the milestones of each "QUARTER:PROJECT:MILESTONE".
    static func quarters(spend: String, milestones: [String]) throws -> [Taizhang_Supervision_V1_QuarterTarget] {
        var quarters = try quarterSpend(spend).map { fen in Taizhang_Supervision_V1_QuarterTarget.with { $0.spendFen = fen } }
        for text in milestones {
            let (number, target) = try milestoneTarget(text)
            quarters[number - 1].milestones.append(target)
        }
        return quarters
    }

    /// The head with the post: "张三（镇长）" / "张三 (镇长)".
    static func head(_ unit: Taizhang_Supervision_V1_ResponsibleUnit, _ language: Language) -> String {
        guard !unit.headPost.isEmpty else { return Format.orDash(unit.head) }
        return language == .zh ? "\(unit.head)（\(unit.headPost)）" : "\(unit.head) (\(unit.headPost))"
    }

    /// A document as a cell: its name and the start of its SHA-256.
    static func document(_ document: Taizhang_Ledger_V1_Document) -> String {
        document.name.isEmpty ? "-" : "\(document.name) \(document.sha256.prefix(12))…"
    }

    /// A project's stage: a milestone's name, or "未立项" / "not approved".
    static func stage(_ stage: Taizhang_Supervision_V1_Milestone, _ language: Language) -> String {
        stage == .unspecified ? (language == .zh ? "未立项" : "not approved") : name(milestones, stage, language)
    }
}

// MARK: Units and targets

extension SupervisionCommand {
    /// A unit as people read it, on one line.
    static func describe(_ unit: Taizhang_Supervision_V1_ResponsibleUnit, _ language: Language) {
        let kind = SupervisionLabels.name(SupervisionLabels.kinds, unit.kind, language)
        let head = SupervisionLabels.head(unit, language)
        print(language == .zh ? "\(unit.id) \(unit.name)（\(kind)，\(unit.adminCode)）负责人：\(head)  版本 \(unit.version)"
                              : "\(unit.id) \(unit.name) (\(kind), \(unit.adminCode)), head: \(head), version \(unit.version)")
    }

    /// The unit `id`, from ListUnits; exits 15 (as NOT_FOUND) when there is none.
    static func unit(_ client: TaizhangClient, _ global: GlobalOptions, id: String) async throws -> Taizhang_Supervision_V1_ResponsibleUnit {
        let units = try await global.call(client, RPC.Supervision.listUnits, Taizhang_Supervision_V1_ListUnitsRequest())
        guard let unit = units.units.first(where: { $0.id == id }) else {
            printError("no responsible unit \(id) exists (see `taizhang supervision units`)")
            throw ExitCode(15)
        }
        return unit
    }

    /// `taizhang supervision units`: the responsible units, by id.
    struct Units: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "units", abstract: "The responsible units (乡镇人民政府, 县直部门) and the years they have targets for.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "Only units in this admin unit or below (12-digit code).") var admin: String = ""

        /// The table's columns.
        static let columns: [Column<Taizhang_Supervision_V1_ResponsibleUnit>] = [
            Column("编号", "id") { $0.id }, Column("名称", "name") { $0.name },
            .label("类别", "kind") { SupervisionLabels.name(SupervisionLabels.kinds, $0.kind, $1) }, Column("区划代码", "admin code") { $0.adminCode },
            .label("负责人", "head") { SupervisionLabels.head($0, $1) },
            Column("目标年度", "years with targets") { Format.orDash($0.years.map { String($0.year) }.joined(separator: ",")) },
        ]

        func run() async throws {
            var request = Taizhang_Supervision_V1_ListUnitsRequest()
            request.adminCode = admin
            try await global.show(RPC.Supervision.listUnits, request) { response in
                print(Table(Self.columns, response.units, global.language).render())
            }
        }
    }

    /// `taizhang supervision register`: a new unit, or a unit's new name or head (--id).
    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register", abstract: "Register a responsible unit, or (with --id) change its name and head.",
            discussion: "A township government lies in its township (--admin-code of the township), a county department in the county. A unit's place and kind are fixed.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The unit's name, e.g. 白马镇人民政府 or 县农业农村局.") var name: String?
        @Option(help: "township (乡镇) or department (县直部门).") var kind: String?
        @Option(name: .customLong("admin-code"), help: "The township's 12-digit code, or the county's for a department.") var adminCode: String?
        @Option(help: "The head 负责人, to whom a yellow light's 约谈提醒 goes.") var head: String?
        @Option(name: .customLong("head-post"), help: "The head's post, e.g. 镇长, 局长.") var headPost: String?
        @Option(help: "An existing unit to change, e.g. DW00000001.") var id: String?
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the unit is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func validate() throws {
            guard id == nil else { return }
            for (option, value) in [("--name", name), ("--kind", kind), ("--admin-code", adminCode), ("--head", head)] where value == nil {
                throw ValidationError("\(option) is required to register a new unit (without --id)")
            }
        }

        func run() async throws {
            let kindValue = try kind.map { try SupervisionLabels.parse(SupervisionLabels.kinds, $0, option: "--kind") }
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var unit = Taizhang_Supervision_V1_ResponsibleUnit()
            if let id {
                // The daemon wants the unit's fixed place and kind with the change: start from what it holds.
                let current = try await SupervisionCommand.unit(client, global, id: id)
                (unit.id, unit.name, unit.kind, unit.adminCode) = (current.id, current.name, current.kind, current.adminCode)
                (unit.head, unit.headPost) = (current.head, current.headPost)
            }
            if let name { unit.name = name }
            if let kindValue { unit.kind = kindValue }
            if let adminCode { unit.adminCode = adminCode }
            if let head { unit.head = head }
            if let headPost { unit.headPost = headPost }
            var request = Taizhang_Supervision_V1_RegisterUnitRequest()
            request.unit = unit
            request.expectedVersion = expectedVersion
            let registered = try await global.call(client, RPC.Supervision.registerUnit, request)
            try global.present(registered) { SupervisionCommand.describe($0, global.language) }
        }
    }

    /// One quarter's (or the year's) target, as a row.
    struct QuarterRow {
        var quarter: String
        var target: Taizhang_Supervision_V1_QuarterTarget
    }

    /// The columns of a year's targets.
    static let quarterColumns: [Column<QuarterRow>] = [
        Column("季度", "quarter") { $0.quarter }, .money("支出目标(元)", "spending target (yuan)") { $0.target.spendFen },
        .label("里程碑目标", "milestones") { row, language in
            Format.orDash(row.target.milestones.map { "\($0.projectID) \(SupervisionLabels.name(SupervisionLabels.milestones, $0.milestone, language))" }
                .joined(separator: language == .zh ? "；" : "; "))
        },
    ]

    /// A unit's targets for `year`, quarter by quarter, and how often they were set and changed.
    static func describeTargets(_ unit: Taizhang_Supervision_V1_ResponsibleUnit, year: Int32, _ language: Language) {
        let zh = language == .zh
        guard let targets = unit.years.first(where: { $0.year == year }) else {
            print(zh ? "\(unit.id) \(unit.name)：\(year) 年无目标" : "\(unit.id) \(unit.name): no targets for \(year)")
            return
        }
        let count = targets.revisions.count
        print(zh ? "\(unit.id) \(unit.name) \(year) 年目标（目标记录 \(count) 次：首次设定，修改 \(max(0, count - 1)) 次）"
                 : "\(unit.id) \(unit.name), targets for \(year) (\(count) revisions: first set, then changed \(max(0, count - 1)) times)")
        let rows = targets.quarters.enumerated().map { QuarterRow(quarter: "\(year)Q\($0.offset + 1)", target: $0.element) }
            + [QuarterRow(quarter: zh ? "全年" : "year", target: .with { $0.spendFen = targets.spendFen })]
        print(Table(quarterColumns, rows, language).render())
        if let last = targets.revisions.last, !last.reason.isEmpty {
            print(zh ? "最近修改：\(last.date) \(last.reason)" : "last changed on \(last.date): \(last.reason)")
        }
    }

    /// `taizhang supervision targets`: a unit's four quarters' targets for a year.
    struct Targets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "targets", abstract: "Set a unit's targets for a year: each quarter's spending and milestones (the year's is their sum).",
            discussion: "Set once freely; changed only with --reason, and only for quarters not yet ended.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The unit, e.g. DW00000001.") var unit: String
        @Option(help: "The year, e.g. 2026.") var year: Int32
        @Option(help: "Spending per quarter in yuan, Q1 to Q4, e.g. 10000,10000,0,20000.50.") var spend: String
        @Option(name: .customLong("milestone"), help: "A milestone to reach by a quarter's end: QUARTER:PROJECT:MILESTONE, e.g. 2:JL-2026-001:tendered (repeat).")
        var milestones: [String] = []
        @Option(help: "The day they were set (the document's date), YYYY-MM-DD (default: today).") var date: String?
        @Option(help: "Why they change (required to change targets already set).") var reason: String = ""
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the unit is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func run() async throws {
            var request = Taizhang_Supervision_V1_SetUnitTargetsRequest()
            (request.unitID, request.year, request.date) = (unit, year, date ?? ChinaDate.today)
            (request.reason, request.expectedVersion) = (reason, expectedVersion)
            request.quarters = try SupervisionLabels.quarters(spend: spend, milestones: milestones)
            try await global.show(RPC.Supervision.setUnitTargets, request) { SupervisionCommand.describeTargets($0, year: year, global.language) }
        }
    }
}

// MARK: Projects: milestones and funds

/// What an allocation and a payment both take: the line of funds, the amount, the document, the day.
struct FundLineOptions: ParsableArguments {
    @Option(help: "The funding source: central_special, integrated, relocation, local_government_debt, industry, financial, social_donation, local_fiscal, other or linkage (衔接资金).")
    var source: String
    @Option(help: "The level: central (中央), provincial (省级), city (市级), county (县级) or other (其他).") var level: String
    @Option(help: "The amount in yuan, at most two decimals, e.g. 100000 or 2500.50.") var amount: String
    @Option(help: "The document: 名称/类型/SHA-256.") var document: String
    @Option(help: "The day, YYYY-MM-DD (default: today).") var date: String?
    @Option(help: "A note.") var note: String = ""

    /// The options read; a bad one is refused before anything is sent.
    func read() throws -> FundLineInput {
        FundLineInput(source: try SupervisionLabels.parse(SupervisionLabels.sources, source, option: "--source"),
                 level: try SupervisionLabels.parse(SupervisionLabels.levels, level, option: "--level"),
                 fen: try SupervisionLabels.fen(amount, option: "--amount"),
                 document: try AlertsCommand.document(document, option: "--document"), date: date ?? ChinaDate.today, note: note)
    }
}

/// A line of funds as read from the command line.
struct FundLineInput {
    var source: Taizhang_Ledger_V1_FundingSource
    var level: Taizhang_Supervision_V1_FundLevel
    var fen: Int64
    var document: Taizhang_Ledger_V1_Document
    var date: String
    var note: String
}

extension SupervisionCommand {
    /// A project's progress on one line: stage, allocated, paid.
    static func summary(_ progress: Taizhang_Supervision_V1_ProjectProgress, _ language: Language) {
        let stage = SupervisionLabels.stage(progress.stage, language)
        let (allocated, spent) = (Format.yuan(progress.allocatedFen), Format.yuan(progress.spentFen))
        print(language == .zh ? "\(progress.projectID) \(progress.projectName)：\(stage)（截至 \(progress.asOf)），已下达 \(allocated) 元，已支付 \(spent) 元"
                              : "\(progress.projectID) \(progress.projectName): \(stage) (as of \(progress.asOf)); allocated \(allocated) yuan, paid \(spent) yuan")
    }

    /// `taizhang supervision milestone`: a milestone a project reached.
    struct RecordMilestone: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "milestone", abstract: "Record a milestone a project reached, in order; the approval names the responsible unit (--unit).",
            discussion: "approved (立项批复) → tendered (招标) → contract_signed (签订合同) → started (开工) → completed (完工) → accepted (验收) → handed_over (资产移交).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project, e.g. JL-2026-001.") var project: String
        @Option(help: "approved, tendered, contract_signed, started, completed, accepted or handed_over.") var milestone: String
        @Option(help: "The document: 名称/类型/SHA-256.") var document: String
        @Option(help: "The day it was reached, YYYY-MM-DD (default: today).") var date: String?
        @Option(help: "With the approval: the responsible unit that carries the project out, e.g. DW00000001.") var unit: String = ""
        @Option(help: "A note.") var note: String = ""

        func run() async throws {
            var request = Taizhang_Supervision_V1_RecordMilestoneRequest()
            request.projectID = project
            request.milestone = try SupervisionLabels.parse(SupervisionLabels.milestones, milestone, option: "--milestone")
            request.document = try AlertsCommand.document(document, option: "--document")
            (request.date, request.unitID, request.note) = (date ?? ChinaDate.today, unit, note)
            try await global.show(RPC.Supervision.recordMilestone, request) { SupervisionCommand.summary($0, global.language) }
        }
    }

    /// `taizhang supervision allocate`: money allocated to an approved project (资金下达).
    struct Allocate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "allocate", abstract: "Record money allocated to an approved project (资金下达).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project, e.g. JL-2026-001.") var project: String
        @Option(help: "The budget year.") var year: Int32
        @OptionGroup var fund: FundLineOptions

        func run() async throws {
            let line = try fund.read()
            var request = Taizhang_Supervision_V1_RecordAllocationRequest()
            request.projectID = project
            request.allocation = .with {
                ($0.year, $0.source, $0.level, $0.amountFen) = (year, line.source, line.level, line.fen)
                ($0.date, $0.note) = (line.date, line.note)
                $0.document = line.document
            }
            try await global.show(RPC.Supervision.recordAllocation, request) { SupervisionCommand.summary($0, global.language) }
        }
    }

    /// `taizhang supervision pay`: money paid out of a project's funds (资金支付).
    struct Pay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pay", abstract: "Record money paid out of a project's funds (资金支付).",
            discussion: "Never more, on any day, than was allocated from the same source and level by then (exit 19 otherwise).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project, e.g. JL-2026-001.") var project: String
        @OptionGroup var fund: FundLineOptions
        @Option(help: "Who was paid.") var payee: String = ""

        func run() async throws {
            let line = try fund.read()
            var request = Taizhang_Supervision_V1_RecordDisbursementRequest()
            request.projectID = project
            request.disbursement = .with {
                ($0.source, $0.level, $0.amountFen, $0.payee) = (line.source, line.level, line.fen, payee)
                ($0.date, $0.note) = (line.date, line.note)
                $0.document = line.document
            }
            try await global.show(RPC.Supervision.recordDisbursement, request) { SupervisionCommand.summary($0, global.language) }
        }
    }

    /// The columns of a project's milestones.
    static let milestoneColumns: [Column<Taizhang_Supervision_V1_MilestoneEntry>] = [
        .label("里程碑", "milestone") { SupervisionLabels.name(SupervisionLabels.milestones, $0.milestone, $1) }, Column("日期", "date") { $0.date },
        Column("文件", "document") { SupervisionLabels.document($0.document) }, Column("说明", "note") { Format.orDash($0.note) },
        Column("登记人", "recorded by") { Format.orDash($0.meta.actor) },
    ]

    /// The columns of a project's allocations.
    static let allocationColumns: [Column<Taizhang_Supervision_V1_Allocation>] = [
        Column("日期", "date") { $0.date }, .number("年度", "year") { $0.year },
        .label("资金来源", "source") { SupervisionLabels.name(SupervisionLabels.sources, $0.source, $1) },
        .label("级次", "level") { SupervisionLabels.name(SupervisionLabels.levels, $0.level, $1) }, .money("金额(元)", "amount (yuan)") { $0.amountFen },
        Column("文件", "document") { SupervisionLabels.document($0.document) }, Column("说明", "note") { Format.orDash($0.note) },
    ]

    /// The columns of a project's payments.
    static let paymentColumns: [Column<Taizhang_Supervision_V1_Disbursement>] = [
        Column("日期", "date") { $0.date }, .label("资金来源", "source") { SupervisionLabels.name(SupervisionLabels.sources, $0.source, $1) },
        .label("级次", "level") { SupervisionLabels.name(SupervisionLabels.levels, $0.level, $1) }, .money("金额(元)", "amount (yuan)") { $0.amountFen },
        Column("收款人", "payee") { Format.orDash($0.payee) }, Column("凭证", "voucher") { SupervisionLabels.document($0.document) },
        Column("说明", "note") { Format.orDash($0.note) },
    ]

    /// A project's progress for people: the summary, then its milestones, allocations and payments.
    static func describeProgress(_ progress: Taizhang_Supervision_V1_ProjectProgress, _ language: Language) {
        let zh = language == .zh
        let (unit, stage) = (Format.orDash(progress.unitID), SupervisionLabels.stage(progress.stage, language))
        print(zh ? "责任单位：\(unit)，区划 \(progress.adminCode)" : "responsible unit: \(unit), in \(progress.adminCode)")
        print(zh ? "阶段：\(stage)（截至 \(progress.asOf)）" : "stage: \(stage) (as of \(progress.asOf))")
        print(zh ? "已下达：\(Format.yuan(progress.allocatedFen)) 元" : "allocated: \(Format.yuan(progress.allocatedFen)) yuan")
        print(zh ? "已支付：\(Format.yuan(progress.spentFen)) 元" : "paid: \(Format.yuan(progress.spentFen)) yuan")
        print(zh ? "\n里程碑" : "\nmilestones")
        print(Table(milestoneColumns, progress.milestones, language).render())
        print(zh ? "\n资金下达" : "\nallocations")
        print(Table(allocationColumns, progress.allocations, language).render())
        print(zh ? "\n资金支付" : "\npayments")
        print(Table(paymentColumns, progress.disbursements, language).render())
    }

    /// `taizhang supervision progress`: a project's funds and milestones.
    struct ShowProgress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "progress", abstract: "A project's stage and spending at a date, with its milestones, allocations and payments.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project, e.g. JL-2026-001.") var project: String
        @Option(name: .customLong("as-of"), help: "YYYY-MM-DD (default: today).") var asOf: String = ""

        func run() async throws {
            var request = Taizhang_Supervision_V1_GetProjectProgressRequest()
            (request.projectID, request.asOf) = (project, asOf)
            try await global.show(RPC.Supervision.getProjectProgress, request) { progress in
                print("\(progress.projectID) \(progress.projectName)")
                SupervisionCommand.describeProgress(progress, global.language)
            }
        }
    }
}

// MARK: Lights, ranking, the half-year page

extension SupervisionCommand {
    /// The columns of a unit's lights: one row per quarter.
    static let lightColumns: [Column<Taizhang_Supervision_V1_QuarterLight>] = [
        Column("季度", "quarter") { $0.quarter }, .label("亮灯", "light") { SupervisionLabels.name(SupervisionLabels.lights, $0.light, $1) },
        Column("未完成起始", "missed since") { Format.orDash($0.since) }, Column("评定日", "judged on") { Format.orDash($0.judgedOn) },
        .label("已记录", "recorded") { Format.yesNo($0.recorded, $1) }, .label("说明", "reasons") { Format.orDash(RiskLabels.reasons($0.reasons, $1)) },
    ]

    /// `taizhang supervision lights`: a unit's lights for the quarters of a year.
    struct Lights: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lights", abstract: "A unit's light for each quarter of a year (绿灯, 黄灯, 红灯, 待评, 未设目标), each explained.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The unit, e.g. DW00000001.") var unit: String
        @Option(help: "The year (default: this year).") var year: Int32 = 0

        func run() async throws {
            var request = Taizhang_Supervision_V1_GetUnitLightsRequest()
            (request.unitID, request.year) = (unit, year)
            try await global.show(RPC.Supervision.getUnitLights, request) { lights in
                let zh = global.language == .zh
                print(zh ? "\(lights.unit.id) \(lights.unit.name) \(lights.year) 年亮灯情况" : "\(lights.unit.id) \(lights.unit.name): lights of \(lights.year)")
                print(Table(SupervisionCommand.lightColumns, lights.quarters, global.language).render())
            }
        }
    }

    /// The county's name for a page: `given`, else the county admin unit's, else "本县".
    static func countyName(_ given: String?, _ client: TaizhangClient, _ global: GlobalOptions) async -> String {
        if let given { return given }
        var request = Taizhang_Ledger_V1_ListAdminUnitsRequest()
        request.pageSize = 1000
        let page = try? await client.unary(RPC.Ledger.listAdminUnits, request, metadata: global.metadata, timeoutMillis: global.timeoutMillis)
        return page?.units.first { $0.level == .county }?.name ?? (global.language == .zh ? "本县" : "The county")
    }

    /// The columns of the ranking table.
    static let rankColumns: [Column<Taizhang_Supervision_V1_UnitRank>] = [
        .number("名次", "place") { $0.place }, Column("单位编号", "unit") { $0.unitID }, Column("责任单位", "name") { $0.unitName },
        .label("亮灯", "light") { SupervisionLabels.name(SupervisionLabels.lights, $0.light.light, $1) },
        Column("完成/目标", "met/targets", rightAligned: true) { "\($0.targetsMet)/\($0.targets)" },
        Column("支出/目标(元)", "spent/target (yuan)", rightAligned: true) { "\(Format.yuan($0.spentFen))/\(Format.yuan($0.spendTargetFen))" },
    ]

    /// The ranking as a table under a line saying what it is.
    static func rankingTable(_ ranking: Taizhang_Supervision_V1_RankUnitsResponse, _ language: Language) -> String {
        let title = language == .zh ? "\(ranking.quarter) 责任单位评比（共 \(ranking.unitsRanked) 个单位参评）"
                                    : "ranking of \(ranking.quarter) (\(ranking.unitsRanked) units ranked)"
        return title + "\n" + Table(rankColumns, ranking.ranks, language).render() + "\n"
    }

    /// `taizhang supervision rank`: the quarter's ranking 一季一评比.
    struct Rank: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rank", abstract: "The quarter's ranking of the units (一季一评比): a table, CSV, or a printable HTML page.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The quarter, e.g. 2026Q2 (default: the latest judged).") var quarter: String = ""
        @Option(help: "table, csv or html.") var format: String = "table"
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?
        @Option(name: .customLong("county-name"), help: "HTML: the county's name in the title (default: the county admin unit's).") var countyName: String?

        func validate() throws {
            if !["table", "csv", "html"].contains(format) { throw ValidationError("--format must be table, csv or html") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var request = Taizhang_Supervision_V1_RankUnitsRequest()
            request.quarter = quarter
            let ranking = try await global.call(client, RPC.Supervision.rankUnits, request)
            if global.json {
                try global.printJSON(ranking)
                return
            }
            let english = global.language == .en
            let text: String
            switch format {
            case "csv":
                text = "\u{FEFF}" + CSV.write(UnitRankingSheet.rows(ranking, english: english))
            case "html":
                let county = await SupervisionCommand.countyName(countyName, client, global)
                text = UnitRankingSheet.html(ranking, countyName: county, english: english)
            default:
                text = SupervisionCommand.rankingTable(ranking, global.language)
            }
            try global.emit(text, to: out, note: english ? "wrote the ranking of \(ranking.quarter) (\(ranking.ranks.count) units) to \(out ?? "")"
                                                          : "已导出 \(ranking.quarter) 评比（\(ranking.ranks.count) 个单位）到 \(out ?? "")")
        }
    }

    /// Each unit's lights for `year` and its unit_light alerts, for the half-year page.
    static func halfYearUnits(_ client: TaizhangClient, _ global: GlobalOptions, year: Int32) async throws -> [HalfYearUnit] {
        let units = try await global.call(client, RPC.Supervision.listUnits, Taizhang_Supervision_V1_ListUnitsRequest())
        // A unit's light of each quarter is its own alert, about "DW00000001-2026Q2".
        var alertsRequest = Taizhang_Risk_V1_ListAlertsRequest()
        (alertsRequest.kind, alertsRequest.pageSize) = ("unit_light", 1000)
        let alerts = try await global.all(client, RPC.Risk.listAlerts, alertsRequest, items: \.alerts)
        var out: [HalfYearUnit] = []
        for unit in units.units {
            var lightsRequest = Taizhang_Supervision_V1_GetUnitLightsRequest()
            (lightsRequest.unitID, lightsRequest.year) = (unit.id, year)
            let lights = try await global.call(client, RPC.Supervision.getUnitLights, lightsRequest)
            out.append(HalfYearUnit(lights: lights, alerts: alerts.filter { $0.subjectID.hasPrefix(unit.id + "-") }))
        }
        return out
    }

    /// `taizhang supervision publish`: the half-year page 半年一晾晒.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish", abstract: "The half-year page to publish (半年一晾晒): each unit's lights for the half, what it missed and what was done about it.",
            discussion: "With --json, prints each unit's lights for the half's year (GetUnitLights), one JSON object a line.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The half: 2026H1 (January to June) or 2026H2.") var half: String
        @Option(help: "html or csv.") var format: String = "html"
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?
        @Option(name: .customLong("county-name"), help: "HTML: the county's name in the title (default: the county admin unit's).") var countyName: String?

        func validate() throws {
            guard half.prefix(4).allSatisfy({ $0.isASCII && $0.isNumber }), HalfYearPage.quarters(half) != nil else {
                throw ValidationError("--half \(half): write a year and its half, e.g. 2026H1 (January to June) or 2026H2 (July to December)")
            }
            if format != "html" && format != "csv" { throw ValidationError("--format must be html or csv") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let units = try await SupervisionCommand.halfYearUnits(client, global, year: Int32(half.prefix(4)) ?? 0)
            if global.json {
                for unit in units { try global.printJSON(unit.lights) }
                return
            }
            let english = global.language == .en
            let text: String
            if format == "csv" {
                text = "\u{FEFF}" + CSV.write(HalfYearPage.rows(units, half: half, english: english))
            } else {
                let county = await SupervisionCommand.countyName(countyName, client, global)
                text = try await global.stamped(HalfYearPage.html(units, half: half, countyName: county, english: english),
                                                client, records: units.map { ($0.lights.unit.id, $0.lights.unit.name) })
            }
            try global.emit(text, to: out, note: english ? "wrote the page of \(half) (\(units.count) units) to \(out ?? "")"
                                                          : "已导出 \(half) 晾晒表（\(units.count) 个责任单位）到 \(out ?? "")")
        }
    }
}
