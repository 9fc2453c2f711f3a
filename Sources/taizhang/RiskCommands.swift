// taizhang entity | contract | report: operating entities 带贫主体, their
// contracts and quarterly reports; taizhang alerts [--follow], taizhang risk
// ENTITY and taizhang monitor: what the risk monitor says.

import ArgumentParser
import Foundation
import SwiftProtobuf
import TaizhangClient
import TaizhangProto
import TaizhangSheets


/// An amount in yuan that may be negative (a loss).
func parseSignedYuan(_ text: String, option: String) throws -> Int64 {
    if text.hasPrefix("-") { return -(try parseYuan(String(text.dropFirst()), option: option)) }
    return try parseYuan(text, option: option)
}

enum RiskLabels {
    static let entityKinds: [(String, Taizhang_Ledger_V1_EntityKind, String)] = [
        ("enterprise", .entityEnterprise, "企业"), ("cooperative", .entityCooperative, "农民专业合作社"),
        ("large_household", .entityLargeHousehold, "大户"), ("village_collective", .entityVillageCollective, "村集体经济组织"),
        ("other", .entityOther, "其他"),
    ]
    static let modes: [(String, Taizhang_Ledger_V1_OperationMode, String)] = [
        ("contracting", .contracting, "承包"), ("lease", .lease, "租赁"), ("equity", .equity, "入股"), ("entrusted", .entrusted, "托管"),
    ]
    static let payments: [(String, Taizhang_Ledger_V1_PaymentKind, String)] = [
        ("rent", .paymentRent, "租金"), ("fee", .paymentFee, "承包费"), ("dividend", .paymentDividend, "分红"),
    ]

    /// Accepts the English name or the Chinese one.
    static func pick<T>(_ table: [(String, T, String)], _ text: String, option: String) throws -> T {
        if let found = table.first(where: { $0.0 == text || $0.2 == text }) { return found.1 }
        printError("\(option) \(text): use one of \(table.map { "\($0.0) (\($0.2))" }.joined(separator: ", "))")
        throw ExitCode(2)
    }

    static func name<T: Equatable>(_ table: [(String, T, String)], _ value: T, _ language: Language) -> String {
        guard let found = table.first(where: { $0.1 == value }) else { return "?" }
        return language == .zh ? found.2 : found.0
    }

    static func level(_ level: Taizhang_Risk_V1_AlertLevel, _ language: Language) -> String {
        switch (level, language) {
        case (.red, .zh): return "红灯"
        case (.yellow, .zh): return "黄灯"
        case (.green, .zh): return "绿灯"
        case (.red, .en): return "red"
        case (.yellow, .en): return "yellow"
        case (.green, .en): return "green"
        default: return "-"
        }
    }

    /// The reasons in the language, one after another: "甲；乙" / "a; b".
    static func reasons(_ reasons: [Taizhang_Risk_V1_Reason], _ language: Language) -> String {
        reasons.map { language == .zh ? $0.zh : $0.en }.joined(separator: language == .zh ? "；" : "; ")
    }
}

// MARK: Entities

struct EntityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "entity", abstract: "Operating entities 带贫主体: create, update, list, show.",
                                                    subcommands: [Create.self, Update.self, List.self, Show.self])

    struct Fields: ParsableArguments {
        @Option(name: .customLong("name"), help: "Name, e.g. 江陵县白马蔬菜专业合作社.") var name: String?
        @Option(name: .customLong("kind"), help: "enterprise (企业), cooperative (农民专业合作社), large_household (大户), village_collective (村集体经济组织) or other (其他).") var kind: String?
        @Option(name: .customLong("admin-code"), help: "12-digit code of where it is registered.") var adminCode: String?
        @Option(name: .customLong("credit-code"), help: "18-character unified social credit code (统一社会信用代码); required for enterprises and cooperatives.") var creditCode: String?
        @Option(name: .customLong("legal-representative"), help: "法定代表人 or person in charge.") var legalRepresentative: String?
        @Option(name: .customLong("contact"), help: "Telephone or address.") var contact: String?

        func apply(to entity: inout Taizhang_Ledger_V1_OperatingEntity) throws {
            if let name { entity.name = name }
            if let kind { entity.kind = try RiskLabels.pick(RiskLabels.entityKinds, kind, option: "--kind") }
            if let adminCode { entity.adminCode = adminCode }
            if let creditCode { entity.creditCode = creditCode }
            if let legalRepresentative { entity.legalRepresentative = legalRepresentative }
            if let contact { entity.contact = contact }
        }
    }

    static let columns: [Column<Taizhang_Ledger_V1_OperatingEntity>] = [
        Column("编号", "id") { $0.id }, Column("名称", "name") { $0.name },
        .label("类型", "kind") { RiskLabels.name(RiskLabels.entityKinds, $0.kind, $1) },
        Column("所在地", "admin code") { $0.adminCode }, Column("统一社会信用代码", "credit code") { $0.creditCode },
    ]

    /// The entity for people, in two lines.
    static func describe(_ entity: Taizhang_Ledger_V1_OperatingEntity, _ language: Language) {
        let zh = language == .zh
        print("\(entity.id) \(entity.name)（\(RiskLabels.name(RiskLabels.entityKinds, entity.kind, language))）")
        print("\(zh ? "所在地" : "admin code") \(entity.adminCode)  \(zh ? "统一社会信用代码" : "credit code") \(Format.orDash(entity.creditCode))  \(zh ? "版本" : "version") \(entity.version)")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an operating entity.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var fields: Fields

        func run() async throws {
            var request = Taizhang_Ledger_V1_CreateEntityRequest()
            try fields.apply(to: &request.entity)
            try await global.show(RPC.Ledger.createEntity, request) { EntityCommand.describe($0, global.language) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an entity's fields (the others stay).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Entity id, e.g. ZT00000001.") var id: String
        @OptionGroup var fields: Fields
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the entity is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var request = Taizhang_Ledger_V1_UpdateEntityRequest()
            request.entity = try await global.call(client, RPC.Ledger.getEntity, .with { $0.id = id })
            try fields.apply(to: &request.entity)
            request.expectedVersion = expectedVersion
            try global.present(try await global.call(client, RPC.Ledger.updateEntity, request)) { EntityCommand.describe($0, global.language) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entities, optionally of one admin subtree or kind.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin-code"), help: "Only entities in this unit or below.") var adminCode: String?
        @Option(name: .customLong("kind"), help: "Only this kind.") var kind: String?

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListEntitiesRequest()
            request.adminCode = adminCode ?? ""
            if let kind { request.kind = try RiskLabels.pick(RiskLabels.entityKinds, kind, option: "--kind") }
            request.pageSize = 1000
            try await global.list(RPC.Ledger.listEntities, request, items: \.entities, columns: EntityCommand.columns)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an entity and its contracts.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Entity id.") var id: String

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let entity = try await global.call(client, RPC.Ledger.getEntity, .with { $0.id = id })
            try global.present(entity) { EntityCommand.describe($0, global.language) }
            if global.json { return }
            // The first page of its contracts.
            let contracts = try await global.call(client, RPC.Ledger.listContracts, .with { $0.entityID = id; $0.pageSize = 1000 })
            print(Table(ContractCommand.columns, contracts.contracts, global.language).render())
        }
    }
}

// MARK: Contracts

struct ContractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "contract", abstract: "Operation contracts: create, amend (with the owner's consent), list, show.",
                                                    subcommands: [Create.self, Amend.self, List.self, Show.self])

    static let columns: [Column<Taizhang_Ledger_V1_OperationContract>] = [
        Column("合同编号", "contract") { $0.id }, Column("资产", "asset") { $0.assetID }, Column("经营主体", "entity") { $0.entityID },
        .label("方式", "mode") { RiskLabels.name(RiskLabels.modes, $0.mode, $1) }, Column("起", "start") { $0.start }, Column("止", "end") { $0.end },
        Column("终止", "terminated") { Format.orDash($0.terminatedOn) },
        .money("应付合计(元)", "payments (yuan)") { contract in contract.payments.reduce(0) { $0 + $1.amountFen } },
        .number("承诺用工", "labourers") { $0.committedPoorLabourers }, .number("承诺带户", "households") { $0.committedHouseholds },
    ]

    /// "rent:2026-12-31:50000" (KIND:DATE:YUAN).
    static func payment(_ text: String) throws -> Taizhang_Ledger_V1_PaymentDue {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            printError("--payment \(text): write KIND:YYYY-MM-DD:YUAN, e.g. rent:2026-12-31:50000 (kinds: rent 租金, fee 承包费, dividend 分红)")
            throw ExitCode(2)
        }
        var payment = Taizhang_Ledger_V1_PaymentDue()
        payment.kind = try RiskLabels.pick(RiskLabels.payments, parts[0], option: "--payment")
        payment.dueDate = parts[1]
        payment.amountFen = try parseYuan(parts[2], option: "--payment")
        return payment
    }

    /// The contract for people: its row and its amendments.
    static func describe(_ contract: Taizhang_Ledger_V1_OperationContract, _ language: Language) {
        print(Table(columns, [contract], language).render())
        for amendment in contract.amendments {
            let consent = amendment.hasConsent ? (language == .zh ? "（所有者同意：\(amendment.consent.consentedBy)，\(amendment.consent.reference)，\(amendment.consent.date)）"
                                                                : " (owner's consent: \(amendment.consent.consentedBy), \(amendment.consent.reference), \(amendment.consent.date))") : ""
            print("\(amendment.date) \(amendment.summary)\(consent)")
        }
        for risk in contract.entityRisks {
            print(language == .zh ? "风险提示（\(risk.assessmentID)，\(risk.date)）：\(risk.summary)" : "risk (\(risk.assessmentID), \(risk.date)): \(risk.summaryEn)")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a contract for an asset.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("asset"), help: "Asset id.") var asset: String
        @Option(name: .customLong("entity"), help: "Entity id.") var entity: String
        @Option(name: .customLong("mode"), help: "contracting (承包), lease (租赁), equity (入股) or entrusted (托管).") var mode: String
        @Option(name: .customLong("start"), help: "First day, YYYY-MM-DD.") var start: String
        @Option(name: .customLong("end"), help: "Last day, YYYY-MM-DD.") var end: String
        @Option(name: .customLong("payment"), help: "A payment due to the owners: KIND:YYYY-MM-DD:YUAN (repeat).") var payments: [String] = []
        @Option(name: .customLong("labourers"), help: "Poor labourers it commits to employ.") var labourers: Int32 = 0
        @Option(name: .customLong("households"), help: "Households it commits to link.") var households: Int32 = 0

        func run() async throws {
            var request = Taizhang_Ledger_V1_CreateContractRequest()
            request.contract.assetID = asset
            request.contract.entityID = entity
            request.contract.mode = try RiskLabels.pick(RiskLabels.modes, mode, option: "--mode")
            request.contract.start = start
            request.contract.end = end
            request.contract.payments = try payments.map(ContractCommand.payment)
            request.contract.committedPoorLabourers = labourers
            request.contract.committedHouseholds = households
            try await global.show(RPC.Ledger.createContract, request) { ContractCommand.describe($0, global.language) }
        }
    }

    struct Amend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a contract; a running contract's operator or mode needs the owner's consent (001 (六)).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Contract id, e.g. HT00000001.") var id: String
        @Option(name: .customLong("entity"), help: "New operator (entity id).") var entity: String?
        @Option(name: .customLong("mode"), help: "New mode.") var mode: String?
        @Option(name: .customLong("end"), help: "New last day (renewal or shortening).") var end: String?
        @Option(name: .customLong("terminated-on"), help: "End the contract early on this day (the asset is recovered).") var terminatedOn: String?
        @Option(name: .customLong("payment"), help: "Replace the payments due: KIND:YYYY-MM-DD:YUAN (repeat).") var payments: [String] = []
        @Option(name: .customLong("consent-date"), help: "The owner's consent: the day it was given.") var consentDate: String?
        @Option(name: .customLong("consented-by"), help: "Who consented for the owner, e.g. 白马村股份经济合作社（村民代表会议）.") var consentedBy: String?
        @Option(name: .customLong("consent-reference"), help: "The decision: minutes or resolution number.") var consentReference: String?
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the contract is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var request = Taizhang_Ledger_V1_AmendContractRequest()
            request.contract = try await global.call(client, RPC.Ledger.getContract, .with { $0.id = id })
            if let entity { request.contract.entityID = entity }
            if let mode { request.contract.mode = try RiskLabels.pick(RiskLabels.modes, mode, option: "--mode") }
            if let end { request.contract.end = end }
            if let terminatedOn { request.contract.terminatedOn = terminatedOn }
            if !payments.isEmpty { request.contract.payments = try payments.map(ContractCommand.payment) }
            if consentDate != nil || consentedBy != nil || consentReference != nil {
                request.ownerConsent.date = consentDate ?? ""
                request.ownerConsent.consentedBy = consentedBy ?? ""
                request.ownerConsent.reference = consentReference ?? ""
            }
            request.expectedVersion = expectedVersion
            try global.present(try await global.call(client, RPC.Ledger.amendContract, request)) { ContractCommand.describe($0, global.language) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List contracts, optionally of one entity or asset.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("entity"), help: "Only this entity's.") var entity: String?
        @Option(name: .customLong("asset"), help: "Only this asset's.") var asset: String?

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListContractsRequest()
            request.entityID = entity ?? ""
            request.assetID = asset ?? ""
            request.pageSize = 1000
            try await global.list(RPC.Ledger.listContracts, request, items: \.contracts, columns: ContractCommand.columns)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a contract and its amendments.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Contract id.") var id: String

        func run() async throws {
            try await global.show(RPC.Ledger.getContract, .with { $0.id = id }) { ContractCommand.describe($0, global.language) }
        }
    }
}

// MARK: Reports

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Quarterly reports of operating entities: submit (or correct), list.",
                                                    subcommands: [Submit.self, List.self])

    static let columns: [Column<Taizhang_Ledger_V1_QuarterReport>] = [
        Column("季度", "quarter") { $0.quarter }, .money("产值(元)", "output") { $0.outputValueFen }, .money("目标", "target") { $0.targetOutputValueFen },
        .money("销售收入(元)", "sales") { $0.salesRevenueFen }, .money("目标", "target") { $0.targetSalesRevenueFen }, .money("利润(元)", "profit") { $0.profitFen },
        Column("应付/实付(元)", "due/paid") { "\(Format.yuan($0.paymentsDueFen))/\(Format.yuan($0.paymentsPaidFen))" },
        .number("用工", "labourers") { $0.poorLabourersEmployed }, .number("带户", "households") { $0.householdsLinked },
        .label("报送", "submitted") { report, language in report.submittedOn + (report.late ? (language == .zh ? "（逾期）" : " (late)") : "") },
        Column("版本", "rev") { Format.number($0.revision) },
    ]

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a quarter's report; again for the same quarter corrects it (--correction-reason).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("entity"), help: "Entity id.") var entity: String
        @Option(name: .customLong("quarter"), help: "The quarter, e.g. 2026Q3.") var quarter: String
        @Option(name: .customLong("output"), help: "产值, yuan.") var output = "0"
        @Option(name: .customLong("sales"), help: "销售收入, yuan.") var sales = "0"
        @Option(name: .customLong("channel"), help: "A sales channel, e.g. 电商 (repeat).") var channels: [String] = []
        @Option(name: .customLong("profit"), help: "利润, yuan; negative for a loss.") var profit = "0"
        @Option(name: .customLong("due"), help: "Due to the asset owners this quarter, yuan.") var due = "0"
        @Option(name: .customLong("paid"), help: "Paid to the asset owners this quarter, yuan.") var paid = "0"
        @Option(name: .customLong("labourers"), help: "Poor labourers employed.") var labourers: Int32 = 0
        @Option(name: .customLong("households"), help: "Households linked.") var households: Int32 = 0
        @Option(name: .customLong("dividends"), help: "Dividends paid, yuan.") var dividends = "0"
        @Option(name: .customLong("measure"), help: "A support measure carried out, e.g. 技能培训 (repeat).") var measures: [String] = []
        @Option(name: .customLong("target-output"), help: "The quarter's output target, yuan (0: none).") var targetOutput = "0"
        @Option(name: .customLong("target-sales"), help: "The quarter's sales target, yuan (0: none).") var targetSales = "0"
        @Option(name: .customLong("submitted-on"), help: "When the report reached the county, YYYY-MM-DD. Default: today.") var submittedOn: String?
        @Option(name: .customLong("correction-reason"), help: "Why this corrects an earlier report of the quarter.") var correctionReason = ""
        @Option(name: .customLong("expected-revision"), help: "For a correction: the revision you read (0: no check).") var expectedRevision: Int32 = 0

        func run() async throws {
            var request = Taizhang_Ledger_V1_SubmitReportRequest()
            request.report.entityID = entity
            request.report.quarter = quarter
            request.report.outputValueFen = try parseYuan(output, option: "--output")
            request.report.salesRevenueFen = try parseYuan(sales, option: "--sales")
            request.report.salesChannels = channels
            request.report.profitFen = try parseSignedYuan(profit, option: "--profit")
            request.report.paymentsDueFen = try parseYuan(due, option: "--due")
            request.report.paymentsPaidFen = try parseYuan(paid, option: "--paid")
            request.report.poorLabourersEmployed = labourers
            request.report.householdsLinked = households
            request.report.dividendsPaidFen = try parseYuan(dividends, option: "--dividends")
            request.report.supportMeasures = measures
            request.report.targetOutputValueFen = try parseYuan(targetOutput, option: "--target-output")
            request.report.targetSalesRevenueFen = try parseYuan(targetSales, option: "--target-sales")
            request.report.submittedOn = submittedOn ?? ChinaDate.today
            request.report.correctionReason = correctionReason
            request.expectedRevision = expectedRevision
            try await global.show(RPC.Ledger.submitReport, request) { report in
                let zh = global.language == .zh
                print(zh ? "\(report.entityID) \(report.quarter) 报表已\(report.revision > 1 ? "更正（第\(report.revision)版）" : "报送")\(report.late ? "；逾期报送（应于\(report.dueDate)前）" : "")"
                         : "\(report.entityID) \(report.quarter) report \(report.revision > 1 ? "corrected (revision \(report.revision))" : "submitted")\(report.late ? "; late (due by \(report.dueDate))" : "")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An entity's reports and the quarters missing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Entity id.") var entity: String
        @Option(name: .customLong("from"), help: "First quarter, e.g. 2025Q1.") var from: String?
        @Option(name: .customLong("to"), help: "Last quarter.") var to: String?

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListReportsRequest()
            request.entityID = entity
            request.fromQuarter = from ?? ""
            request.toQuarter = to ?? ""
            try await global.show(RPC.Ledger.listReports, request) { response in
                print(Table(ReportCommand.columns, response.reports, global.language).render())
                if !response.missingQuarters.isEmpty {
                    print(global.language == .zh ? "缺报季度：\(response.missingQuarters.joined(separator: "、"))" : "missing: \(response.missingQuarters.joined(separator: ", "))")
                }
            }
        }
    }
}

/// Today in China Standard Time.
enum ChinaDate {
    static var parts: (year: Int, month: Int, day: Int) {
        let today = CLI.clock.today()
        return (today.year, today.month, today.day)
    }

    /// YYYY-MM-DD.
    static var today: String {
        let today = parts
        return Format.date(year: today.year, month: today.month, day: today.day)
    }
}

// MARK: Alerts and scores

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "List alerts (newest first), follow them as they are raised and cleared, and take them through to 销号.",
        discussion: """
            With --follow, prints each alert event as it happens until interrupted; --after-seq N first replays the stored events after N. \
            With --follow-up, --assignee or --overdue the list is the queue of follow-ups, oldest first. \
            The subcommands take an alert through its follow-up: ack → assign → plan → rectify → close (by another person), \
            with talk (约谈, before a yellow alert closes) and accountability (问责, before a red one closes); reopen when a check fails.
            """,
        subcommands: [Show.self, Ack.self, Assign.self, Plan.self, Rectify.self, Close.self, Reopen.self, Talk.self, Accountability.self])
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("level"), help: "yellow or red.") var level: String?
    @Option(name: .customLong("kind"), help: "An alert kind, e.g. entity_targets, report_missing, contract_expiring.") var kind: String?
    @Option(name: .customLong("admin-code"), help: "Only alerts in this unit or below.") var adminCode: String?
    @Flag(name: .customLong("open"), help: "Only open alerts.") var open = false
    @Flag(name: .customLong("closed"), help: "Only cleared alerts.") var closed = false
    @Option(name: .customLong("from"), help: "Raised on or after this day, YYYY-MM-DD.") var from: String?
    @Option(name: .customLong("to"), help: "Raised on or before this day.") var to: String?
    @Option(name: .customLong("subject"), help: "Only this entity, asset or contract.") var subject: String?
    @Option(name: .customLong("limit"), help: "Most alerts listed.") var limit = 100
    @Option(name: .customLong("follow-up"), help: "Only follow-ups in this state (repeat): pending, acknowledged, assigned, rectifying, rectified, closed.")
    var followUpStates: [String] = []
    @Option(name: .customLong("assignee"), help: "Only follow-ups assigned to this person.") var assignee: String?
    @Flag(name: .customLong("overdue"), help: "Only overdue follow-ups (unacknowledged too long, or past the rectification deadline).") var overdue = false
    @Flag(name: .customLong("follow"), help: "Follow new alert events (WatchAlerts).") var follow = false
    @Option(name: .customLong("after-seq"), help: "With --follow: first replay the stored events after this seq.") var afterSeq: Int64 = 0

    static let columns: [Column<Taizhang_Risk_V1_Alert>] = [
        .number("编号", "id") { $0.id }, .label("级别", "level") { RiskLabels.level($0.level, $1) },
        .label("类型", "kind") { $1 == .zh ? $0.kindZh : $0.kind }, Column("对象", "subject") { $0.subjectID }, Column("名称", "name") { $0.subjectName },
        Column("区划", "admin code") { $0.adminCode }, Column("评分", "score", rightAligned: true) { $0.score >= 0 ? Format.number($0.score) : "-" },
        Column("季度", "quarter") { Format.orDash($0.quarter) }, Column("发生时间", "raised") { $0.raisedAt },
        .label("状态", "state") { alert, language in alert.open ? (language == .zh ? "在报" : "open") : (language == .zh ? "已解除" : "cleared") },
        .label("处置", "follow-up") { alert, language in
            guard alert.hasFollowUp else { return "-" }
            let state = language == .zh ? alert.followUp.stateZh : alert.followUp.state
            return alert.followUp.overdue ? state + (language == .zh ? "（逾期）" : " (overdue)") : state
        },
        .label("原因", "reasons") { RiskLabels.reasons($0.reasons, $1) },
    ]

    func parseLevel() throws -> Taizhang_Risk_V1_AlertLevel {
        switch level {
        case nil: return .unspecified
        case "yellow", "黄灯": return .yellow
        case "red", "红灯": return .red
        default:
            printError("--level \(level!): yellow or red")
            throw ExitCode(2)
        }
    }

    func run() async throws {
        if follow { try await followAlerts(); return }
        let listing = try await global.list(RPC.Risk.listAlerts, request(), items: \.alerts, columns: Self.columns, all: false)
        if global.json || listing.last.nextPageToken.isEmpty { return }
        print(global.language == .zh ? "（仅显示最新 \(listing.records.count) 条；用 --limit 或筛选条件查看更多）"
                                     : "(the newest \(listing.records.count) only; use --limit or filters)")
    }

    /// The request the flags make: one page of at most --limit alerts.
    func request() throws -> Taizhang_Risk_V1_ListAlertsRequest {
        var request = Taizhang_Risk_V1_ListAlertsRequest()
        request.level = try parseLevel()
        request.kind = kind ?? ""
        request.adminCode = adminCode ?? ""
        request.state = open ? .open : (closed ? .closed : .any)
        request.raisedFrom = from ?? ""
        request.raisedTo = to ?? ""
        request.subjectID = subject ?? ""
        request.pageSize = Int32(clamping: min(max(limit, 1), 1000))
        request.followUpStates = followUpStates
        request.assignee = assignee ?? ""
        request.overdue = overdue
        return request
    }

    /// Prints alert events as they happen, until interrupted.
    func followAlerts() async throws {
        let client = try await global.connect()
        defer { Task { await client.close() } }
        var request = Taizhang_Risk_V1_WatchAlertsRequest()
        request.minLevel = try parseLevel()
        request.adminCode = adminCode ?? ""
        request.afterSeq = afterSeq
        let (_, items) = try client.stream(RPC.Risk.watchAlerts, request, metadata: global.metadata)
        let zh = global.language == .zh
        do {
            for try await data in items {
                let event = try Taizhang_Risk_V1_AlertEvent(serializedBytes: data)
                if let kind, event.alert.kind != kind { continue }
                if global.json {
                    try global.printJSON(event)
                } else {
                    print("#\(event.seq) \(event.time) \(zh ? event.message : event.messageEn)")
                }
                fflush(nil)
            }
        } catch let error as RPCError {
            printError("WatchAlerts ended: \(error)")
            throw ExitCode(Int32(10 + error.status.code.rawValue))
        }
    }
}

struct RiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "risk", abstract: "An entity's risk score: the five parts, their reasons, and the traffic light.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Entity id, e.g. ZT00000001.") var entity: String
    @Option(name: .customLong("quarter"), help: "The quarter, e.g. 2026Q3. Default: the one it is judged on now.") var quarter: String?

    static let columns: [Column<Taizhang_Risk_V1_ScorePart>] = [
        .label("评分项", "part") { $1 == .zh ? $0.partZh : $0.part }, .number("得分", "score") { $0.score }, .number("权重", "weight") { $0.weight },
        .label("原因", "reasons") { RiskLabels.reasons($0.reasons, $1) },
    ]

    func run() async throws {
        var request = Taizhang_Risk_V1_GetRiskScoreRequest()
        request.entityID = entity
        request.quarter = quarter ?? ""
        try await global.show(RPC.Risk.getRiskScore, request, describe)
    }

    /// The score for people: the total and light, a row per part, the light's reasons.
    func describe(_ score: Taizhang_Risk_V1_RiskScore) {
        let zh = global.language == .zh
        print("\(score.entityID) \(score.entityName)  \(score.quarter)")
        if score.reported {
            print(zh ? "风险评分：\(score.total) 分（\(RiskLabels.level(score.scoreLevel, global.language))）  目标完成：\(RiskLabels.level(score.light, global.language))"
                     : "risk score: \(score.total) (\(RiskLabels.level(score.scoreLevel, global.language)))  targets light: \(RiskLabels.level(score.light, global.language))")
        } else {
            print(zh ? "本季度报表未报，无评分；目标完成：\(RiskLabels.level(score.light, global.language))"
                     : "no report for the quarter, no score; targets light: \(RiskLabels.level(score.light, global.language))")
        }
        if !score.parts.isEmpty { print(Table(Self.columns, score.parts, global.language).render()) }
        for reason in score.lightReasons {
            print((zh ? "目标：" : "targets: ") + (zh ? reason.zh : reason.en))
        }
    }
}

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monitor", abstract: "Run the risk monitor now and print what the run did.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.show(RPC.Risk.runMonitor, Taizhang_Risk_V1_RunMonitorRequest()) { run in
            print(global.language == .zh
                  ? "风险监测完成：用时 \(run.durationMicros / 1000) ms，评估主体 \(run.entitiesScored) 个、资产 \(run.assetsChecked) 项；新增预警 \(run.raised)、变更 \(run.changed)、解除 \(run.cleared)；在报预警 \(run.openAlerts)"
                  : "risk run done in \(run.durationMicros / 1000) ms: \(run.entitiesScored) entities, \(run.assetsChecked) assets; raised \(run.raised), changed \(run.changed), cleared \(run.cleared); open alerts \(run.openAlerts)")
        }
    }
}
