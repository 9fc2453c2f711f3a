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

    static func show(_ entity: Taizhang_Ledger_V1_OperatingEntity, _ global: GlobalOptions) throws {
        if global.json { try global.printJSON(entity); return }
        let zh = global.language == .zh
        print("\(entity.id) \(entity.name)（\(RiskLabels.name(RiskLabels.entityKinds, entity.kind, global.language))）")
        print("\(zh ? "所在地" : "admin code") \(entity.adminCode)  \(zh ? "统一社会信用代码" : "credit code") \(entity.creditCode.isEmpty ? "-" : entity.creditCode)  \(zh ? "版本" : "version") \(entity.version)")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an operating entity.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var fields: Fields

        func run() async throws {
            var request = Taizhang_Ledger_V1_CreateEntityRequest()
            try fields.apply(to: &request.entity)
            let client = try await global.connect()
            defer { Task { await client.close() } }
            try EntityCommand.show(try await global.call(client, RPC.Ledger.createEntity, request, as: Taizhang_Ledger_V1_OperatingEntity.self), global)
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
            var get = Taizhang_Ledger_V1_GetEntityRequest()
            get.id = id
            var request = Taizhang_Ledger_V1_UpdateEntityRequest()
            request.entity = try await global.call(client, RPC.Ledger.getEntity, get, as: Taizhang_Ledger_V1_OperatingEntity.self)
            try fields.apply(to: &request.entity)
            request.expectedVersion = expectedVersion
            try EntityCommand.show(try await global.call(client, RPC.Ledger.updateEntity, request, as: Taizhang_Ledger_V1_OperatingEntity.self), global)
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
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var table = Table(header: Labels.header([("编号", "id"), ("名称", "name"), ("类型", "kind"), ("所在地", "admin code"), ("统一社会信用代码", "credit code")], global.language))
            repeat {
                let page = try await global.call(client, RPC.Ledger.listEntities, request, as: Taizhang_Ledger_V1_ListEntitiesResponse.self)
                if global.json { try global.printJSON(page) }
                table.rows += page.entities.map { [$0.id, $0.name, RiskLabels.name(RiskLabels.entityKinds, $0.kind, global.language), $0.adminCode, $0.creditCode] }
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            if !global.json { print(table.render()) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an entity and its contracts.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Entity id.") var id: String

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var get = Taizhang_Ledger_V1_GetEntityRequest()
            get.id = id
            let entity = try await global.call(client, RPC.Ledger.getEntity, get, as: Taizhang_Ledger_V1_OperatingEntity.self)
            try EntityCommand.show(entity, global)
            if global.json { return }
            var list = Taizhang_Ledger_V1_ListContractsRequest()
            list.entityID = id
            list.pageSize = 1000
            let contracts = try await global.call(client, RPC.Ledger.listContracts, list, as: Taizhang_Ledger_V1_ListContractsResponse.self)
            print(ContractCommand.table(contracts.contracts, global.language).render())
        }
    }
}

// MARK: Contracts

struct ContractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "contract", abstract: "Operation contracts: create, amend (with the owner's consent), list, show.",
                                                    subcommands: [Create.self, Amend.self, List.self, Show.self])

    static func table(_ contracts: [Taizhang_Ledger_V1_OperationContract], _ language: Language) -> Table {
        var table = Table(header: Labels.header([("合同编号", "contract"), ("资产", "asset"), ("经营主体", "entity"), ("方式", "mode"),
                                                 ("起", "start"), ("止", "end"), ("终止", "terminated"), ("应付合计(元)", "payments (yuan)"),
                                                 ("承诺用工", "labourers"), ("承诺带户", "households")], language), rightAligned: [7, 8, 9])
        table.rows = contracts.map { contract in
            [contract.id, contract.assetID, contract.entityID, RiskLabels.name(RiskLabels.modes, contract.mode, language), contract.start,
             contract.end, contract.terminatedOn.isEmpty ? "-" : contract.terminatedOn, yuan(contract.payments.reduce(0) { $0 + $1.amountFen }),
             String(contract.committedPoorLabourers), String(contract.committedHouseholds)]
        }
        return table
    }

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

    static func show(_ contract: Taizhang_Ledger_V1_OperationContract, _ global: GlobalOptions) throws {
        if global.json { try global.printJSON(contract); return }
        print(table([contract], global.language).render())
        for amendment in contract.amendments {
            let consent = amendment.hasConsent ? (global.language == .zh ? "（所有者同意：\(amendment.consent.consentedBy)，\(amendment.consent.reference)，\(amendment.consent.date)）"
                                                                       : " (owner's consent: \(amendment.consent.consentedBy), \(amendment.consent.reference), \(amendment.consent.date))") : ""
            print("\(amendment.date) \(amendment.summary)\(consent)")
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
            let client = try await global.connect()
            defer { Task { await client.close() } }
            try ContractCommand.show(try await global.call(client, RPC.Ledger.createContract, request, as: Taizhang_Ledger_V1_OperationContract.self), global)
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
            var get = Taizhang_Ledger_V1_GetContractRequest()
            get.id = id
            var request = Taizhang_Ledger_V1_AmendContractRequest()
            request.contract = try await global.call(client, RPC.Ledger.getContract, get, as: Taizhang_Ledger_V1_OperationContract.self)
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
            try ContractCommand.show(try await global.call(client, RPC.Ledger.amendContract, request, as: Taizhang_Ledger_V1_OperationContract.self), global)
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
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var all: [Taizhang_Ledger_V1_OperationContract] = []
            repeat {
                let page = try await global.call(client, RPC.Ledger.listContracts, request, as: Taizhang_Ledger_V1_ListContractsResponse.self)
                if global.json { try global.printJSON(page) }
                all += page.contracts
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            if !global.json { print(ContractCommand.table(all, global.language).render()) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a contract and its amendments.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Contract id.") var id: String

        func run() async throws {
            var get = Taizhang_Ledger_V1_GetContractRequest()
            get.id = id
            let client = try await global.connect()
            defer { Task { await client.close() } }
            try ContractCommand.show(try await global.call(client, RPC.Ledger.getContract, get, as: Taizhang_Ledger_V1_OperationContract.self), global)
        }
    }
}

// MARK: Reports

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Quarterly reports of operating entities: submit (or correct), list.",
                                                    subcommands: [Submit.self, List.self])

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
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let report = try await global.call(client, RPC.Ledger.submitReport, request, as: Taizhang_Ledger_V1_QuarterReport.self)
            if global.json { try global.printJSON(report); return }
            let zh = global.language == .zh
            print(zh ? "\(report.entityID) \(report.quarter) 报表已\(report.revision > 1 ? "更正（第\(report.revision)版）" : "报送")\(report.late ? "；逾期报送（应于\(report.dueDate)前）" : "")"
                     : "\(report.entityID) \(report.quarter) report \(report.revision > 1 ? "corrected (revision \(report.revision))" : "submitted")\(report.late ? "; late (due by \(report.dueDate))" : "")")
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
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let response = try await global.call(client, RPC.Ledger.listReports, request, as: Taizhang_Ledger_V1_ListReportsResponse.self)
            if global.json { try global.printJSON(response); return }
            var table = Table(header: Labels.header([("季度", "quarter"), ("产值(元)", "output"), ("目标", "target"), ("销售收入(元)", "sales"), ("目标", "target"),
                                                     ("利润(元)", "profit"), ("应付/实付(元)", "due/paid"), ("用工", "labourers"), ("带户", "households"),
                                                     ("报送", "submitted"), ("版本", "rev")], global.language), rightAligned: [1, 2, 3, 4, 5, 7, 8])
            table.rows = response.reports.map { report in
                [report.quarter, yuan(report.outputValueFen), yuan(report.targetOutputValueFen), yuan(report.salesRevenueFen),
                 yuan(report.targetSalesRevenueFen), yuan(report.profitFen), "\(yuan(report.paymentsDueFen))/\(yuan(report.paymentsPaidFen))",
                 String(report.poorLabourersEmployed), String(report.householdsLinked),
                 report.submittedOn + (report.late ? (global.language == .zh ? "（逾期）" : " (late)") : ""), String(report.revision)]
            }
            print(table.render())
            if !response.missingQuarters.isEmpty {
                print(global.language == .zh ? "缺报季度：\(response.missingQuarters.joined(separator: "、"))" : "missing: \(response.missingQuarters.joined(separator: ", "))")
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
        return String(format: "%04d-%02d-%02d", today.year, today.month, today.day)
    }
}

// MARK: Alerts and scores

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "List alerts (newest first), or follow them as they are raised and cleared.",
        discussion: "With --follow, prints each alert event as it happens until interrupted; --after-seq N first replays the stored events after N.")
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
    @Flag(name: .customLong("follow"), help: "Follow new alert events (WatchAlerts).") var follow = false
    @Option(name: .customLong("after-seq"), help: "With --follow: first replay the stored events after this seq.") var afterSeq: Int64 = 0

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
        let client = try await global.connect()
        defer { Task { await client.close() } }
        if follow { try await followAlerts(client); return }
        var request = Taizhang_Risk_V1_ListAlertsRequest()
        request.level = try parseLevel()
        request.kind = kind ?? ""
        request.adminCode = adminCode ?? ""
        request.state = open ? .open : (closed ? .closed : .any)
        request.raisedFrom = from ?? ""
        request.raisedTo = to ?? ""
        request.subjectID = subject ?? ""
        request.pageSize = Int32(clamping: min(max(limit, 1), 1000))
        let response = try await global.call(client, RPC.Risk.listAlerts, request, as: Taizhang_Risk_V1_ListAlertsResponse.self)
        if global.json { try global.printJSON(response); return }
        let zh = global.language == .zh
        var table = Table(header: Labels.header([("编号", "id"), ("级别", "level"), ("类型", "kind"), ("对象", "subject"), ("名称", "name"), ("区划", "admin code"),
                                                 ("评分", "score"), ("季度", "quarter"), ("发生时间", "raised"), ("状态", "state"), ("原因", "reasons")], global.language),
                          rightAligned: [0, 6])
        table.rows = response.alerts.map { alert in
            [String(alert.id), RiskLabels.level(alert.level, global.language), zh ? alert.kindZh : alert.kind, alert.subjectID, alert.subjectName,
             alert.adminCode, alert.score >= 0 ? String(alert.score) : "-", alert.quarter.isEmpty ? "-" : alert.quarter, alert.raisedAt,
             alert.open ? (zh ? "在报" : "open") : (zh ? "已解除" : "cleared"),
             alert.reasons.map { zh ? $0.zh : $0.en }.joined(separator: zh ? "；" : "; ")]
        }
        print(table.render())
        if !response.nextPageToken.isEmpty {
            print(zh ? "（仅显示最新 \(response.alerts.count) 条；用 --limit 或筛选条件查看更多）" : "(the newest \(response.alerts.count) only; use --limit or filters)")
        }
    }

    func followAlerts(_ client: TaizhangClient) async throws {
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

    func run() async throws {
        var request = Taizhang_Risk_V1_GetRiskScoreRequest()
        request.entityID = entity
        request.quarter = quarter ?? ""
        let client = try await global.connect()
        defer { Task { await client.close() } }
        let score = try await global.call(client, RPC.Risk.getRiskScore, request, as: Taizhang_Risk_V1_RiskScore.self)
        if global.json { try global.printJSON(score); return }
        let zh = global.language == .zh
        print("\(score.entityID) \(score.entityName)  \(score.quarter)")
        if score.reported {
            print(zh ? "风险评分：\(score.total) 分（\(RiskLabels.level(score.scoreLevel, global.language))）  目标完成：\(RiskLabels.level(score.light, global.language))"
                     : "risk score: \(score.total) (\(RiskLabels.level(score.scoreLevel, global.language)))  targets light: \(RiskLabels.level(score.light, global.language))")
        } else {
            print(zh ? "本季度报表未报，无评分；目标完成：\(RiskLabels.level(score.light, global.language))"
                     : "no report for the quarter, no score; targets light: \(RiskLabels.level(score.light, global.language))")
        }
        var table = Table(header: Labels.header([("评分项", "part"), ("得分", "score"), ("权重", "weight"), ("原因", "reasons")], global.language), rightAligned: [1, 2])
        table.rows = score.parts.map { part in
            [zh ? part.partZh : part.part, String(part.score), String(part.weight), part.reasons.map { zh ? $0.zh : $0.en }.joined(separator: zh ? "；" : "; ")]
        }
        if !table.rows.isEmpty { print(table.render()) }
        for reason in score.lightReasons {
            print((zh ? "目标：" : "targets: ") + (zh ? reason.zh : reason.en))
        }
    }
}

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monitor", abstract: "Run the risk monitor now and print what the run did.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let client = try await global.connect()
        defer { Task { await client.close() } }
        let run = try await global.call(client, RPC.Risk.runMonitor, Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        if global.json { try global.printJSON(run); return }
        print(global.language == .zh
              ? "风险监测完成：用时 \(run.durationMicros / 1000) ms，评估主体 \(run.entitiesScored) 个、资产 \(run.assetsChecked) 项；新增预警 \(run.raised)、变更 \(run.changed)、解除 \(run.cleared)；在报预警 \(run.openAlerts)"
              : "risk run done in \(run.durationMicros / 1000) ms: \(run.entitiesScored) entities, \(run.assetsChecked) assets; raised \(run.raised), changed \(run.changed), cleared \(run.cleared); open alerts \(run.openAlerts)")
    }
}
