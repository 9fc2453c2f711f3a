// taizhang income | plan | stocktake | disposal | revitalise: life-cycle
// steps 9–12. Income as received and a contract's arrears; distribution
// plans through their steps and as a notice; the yearly stock-take; the
// write-off ledger; revitalising plans.

import ArgumentParser
import Foundation
import SwiftProtobuf
import TaizhangClient
import TaizhangProto
import TaizhangSheets


extension GlobalOptions {
    /// "江陵县熊河镇白马村": the unit's name with its parents' (the county's when `code` is empty).
    func unitName(_ client: TaizhangClient, code: String) async throws -> String {
        var units: [String: Taizhang_Ledger_V1_AdminUnit] = [:]
        for unit in try await all(client, RPC.Ledger.listAdminUnits, .with { $0.pageSize = 1000 }, items: \.units) { units[unit.code] = unit }
        var next = code.isEmpty ? (units.values.first { $0.parentCode.isEmpty }?.code ?? "") : code
        var names: [String] = []
        while let unit = units[next], names.count < 4 {
            names.insert(unit.name, at: 0)
            next = unit.parentCode
        }
        return names.joined()
    }

    /// Writes an export to `out` (then says so on standard error) or to standard output.
    func emit(_ text: String, to out: String?, note: String) throws {
        guard let out else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            printError("cannot write \(out): \(error)")
            throw ExitCode(1)
        }
        printError(note)
    }
}

/// The bilingual names of the stewardship enums, for options and tables.
enum StewardshipLabels {
    static let purposes: [(String, Taizhang_Ledger_V1_AllocationPurpose, String)] = [
        ("no_labour_households", .noLabourHouseholds, "无劳动能力脱贫户"), ("public_welfare_jobs", .publicWelfareJobs, "公益岗位"),
        ("collective_economy", .collectiveEconomy, "村集体经济"), ("public_works", .publicWorks, "公益事业"),
        ("reserve", .reserve, "预留"), ("other_households", .otherHouseholds, "其他农户"),
    ]
    static let stages: [(String, Taizhang_Ledger_V1_PlanStage, String)] = [
        ("draft", .planDraft, "村两委研究"), ("assembly_passed", .planAssemblyPassed, "村民代表大会通过"), ("published", .planPublished, "公示"),
        ("township_approved", .planTownshipApproved, "乡镇审核同意"), ("filed", .planFiled, "县级备案"), ("carried_out", .planCarriedOut, "落实"),
    ]
    static let reasons: [(String, Taizhang_Ledger_V1_DisposalReason, String)] = [
        ("natural_disaster", .naturalDisaster, "自然灾害"), ("accident", .accident, "意外事故"), ("planning", .planning, "发展规划需要"),
        ("wear", .wear, "损耗"), ("scrapping", .scrapping, "报废"), ("stock_take_loss", .stockTakeLoss, "盘亏"),
    ]
    static let methods: [(String, Taizhang_Ledger_V1_DisposalMethod, String)] = [
        ("auction", .auction, "拍卖"), ("transfer", .transfer, "转让"), ("scrap", .scrap, "报废"),
    ]
    static let levels: [(String, Taizhang_Ledger_V1_ApprovalLevel, String)] = [
        ("township", .approvalTownship, "乡镇"), ("county_department", .approvalCountyDepartment, "县直主管部门"),
        ("county_poverty_office", .approvalCountyPovertyOffice, "县扶贫办"), ("county_finance", .approvalCountyFinance, "县财政局"),
    ]
    static let bases: [(String, Taizhang_Ledger_V1_SurplusValueBasis, String)] = [
        ("appraisal", .surplusAtAppraisal, "评估价值"), ("replacement_cost", .surplusAtReplacementCost, "重置成本"),
    ]

    /// Splits "A:B:C" into exactly `count` parts (the last keeps any further colons).
    static func parts(_ text: String, _ count: Int, option: String, format: String) throws -> [String] {
        let parts = text.split(separator: ":", maxSplits: count - 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count else {
            printError("\(option) \(text): write \(format)")
            throw ExitCode(2)
        }
        return parts
    }
}

// MARK: Income

struct IncomeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "income", abstract: "Income 收益 as received: record, list, a contract's arrears.",
                                                    subcommands: [Record.self, List.self, Arrears.self])

    static let columns: [Column<Taizhang_Ledger_V1_Income>] = [
        Column("编号", "id") { $0.id }, Column("资产", "asset") { $0.assetID }, Column("合同", "contract") { Format.orDash($0.contractID) },
        Column("到账日期", "received") { $0.receivedOn }, .money("金额(元)", "amount (yuan)") { $0.amountFen }, Column("付款方", "payer") { $0.payer },
        Column("分配方案", "plan") { Format.orDash($0.planID) },
    ]

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record income received for an asset (004 §28–29).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("asset"), help: "Asset id, e.g. ZC00000001.") var asset: String
        @Option(name: .customLong("contract"), help: "The contract it was paid under, e.g. HT00000001.") var contract: String = ""
        @Option(name: .customLong("received-on"), help: "The day it reached the account, YYYY-MM-DD.") var receivedOn: String
        @Option(name: .customLong("amount"), help: "Amount in yuan, e.g. 12345.67.") var amount: String
        @Option(name: .customLong("payer"), help: "Who paid.") var payer: String
        @Option(name: .customLong("account"), help: "The account it reached, e.g. 白马村集体经济组织账户.") var account: String
        @Option(name: .customLong("kind"), help: "rent (租金), fee (承包费) or dividend (分红), for a contract's payment.") var kind: String?
        @Option(name: .customLong("note"), help: "A note.") var note: String = ""

        func run() async throws {
            var request = Taizhang_Ledger_V1_RecordIncomeRequest()
            request.income.assetID = asset
            request.income.contractID = contract
            request.income.receivedOn = receivedOn
            request.income.amountFen = try parseYuan(amount, option: "--amount")
            request.income.payer = payer
            request.income.account = account
            if let kind { request.income.kind = try RiskLabels.pick(RiskLabels.payments, kind, option: "--kind") }
            request.income.note = note
            try await global.show(RPC.Ledger.recordIncome, request) { income in
                print(global.language == .zh ? "\(income.id) 已登记：\(income.assetID) 收益 \(Format.yuan(income.amountFen)) 元，\(income.receivedOn) 到账（\(income.ownerCode)）"
                                             : "\(income.id) recorded: \(Format.yuan(income.amountFen)) yuan for \(income.assetID), received \(income.receivedOn) (\(income.ownerCode))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List income, optionally of one unit, asset or contract.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("owner"), help: "Only income of this unit or below.") var owner: String = ""
        @Option(name: .customLong("asset"), help: "Only this asset's.") var asset: String = ""
        @Option(name: .customLong("contract"), help: "Only this contract's.") var contract: String = ""
        @Flag(name: .customLong("undistributed"), help: "Only income no plan distributes yet.") var undistributed = false

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListIncomeRequest()
            request.ownerCode = owner
            request.assetID = asset
            request.contractID = contract
            request.undistributedOnly = undistributed
            request.pageSize = 1000
            let listing = try await global.list(RPC.Ledger.listIncome, request, items: \.income, columns: IncomeCommand.columns)
            if global.json { return }
            let (count, total) = (listing.records.count, Format.yuan(listing.last.totalFen))
            print(global.language == .zh ? "合计 \(count) 笔，\(total) 元" : "\(count) receipts, \(total) yuan")
        }
    }

    struct Arrears: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A contract's payments due against the income received under it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Contract id, e.g. HT00000001.") var contract: String
        @Option(name: .customLong("as-of"), help: "YYYY-MM-DD (default: today).") var asOf: String = ""

        static let columns: [Column<Taizhang_Ledger_V1_PaymentStanding>] = [
            Column("应付日期", "due") { $0.payment.dueDate }, .label("款项", "kind") { RiskLabels.name(RiskLabels.payments, $0.payment.kind, $1) },
            .money("应付(元)", "due (yuan)") { $0.payment.amountFen }, .money("已收(元)", "received (yuan)") { $0.receivedFen },
            .money("欠付(元)", "owed (yuan)") { $0.outstandingFen },
        ]

        func run() async throws {
            var request = Taizhang_Ledger_V1_GetArrearsRequest()
            request.contractID = contract
            request.asOf = asOf
            try await global.show(RPC.Ledger.getArrears, request, describe)
        }

        /// The arrears for people: a row per payment due, then the sums.
        func describe(_ arrears: Taizhang_Ledger_V1_Arrears) {
            let zh = global.language == .zh
            let (due, received, owed, advance) = (Format.yuan(arrears.dueFen), Format.yuan(arrears.receivedFen), Format.yuan(arrears.owedFen),
                                                  Format.yuan(arrears.advanceFen))
            print(zh ? "合同 \(arrears.contractID)，截至 \(arrears.asOf)" : "contract \(arrears.contractID) as of \(arrears.asOf)")
            print(Table(Self.columns, arrears.payments, global.language).render())
            print(zh ? "应付 \(due) 元，已收 \(received) 元，欠付 \(owed) 元\(arrears.advanceFen > 0 ? "，预付 \(advance) 元" : "")"
                     : "due \(due), received \(received), owed \(owed)\(arrears.advanceFen > 0 ? ", paid in advance \(advance)" : "") (yuan)")
        }
    }
}

// MARK: Distribution plans

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Distribution plans 收益分配方案: create, advance, show, list, export.",
                                                    subcommands: [Create.self, Advance.self, Show.self, List.self, Export.self, Sheet.self])

    static let columns: [Column<Taizhang_Ledger_V1_DistributionPlan>] = [
        Column("编号", "id") { $0.id }, Column("名称", "title") { $0.title }, Column("单位", "owner") { $0.ownerCode },
        .money("收益(元)", "income (yuan)") { $0.incomeFen }, .label("阶段", "stage") { RiskLabels.name(StewardshipLabels.stages, $0.stage, $1) },
        Column("期限", "deadline") { $0.deadline }, .label("逾期", "overdue") { $0.overdue ? Format.yesNo(true, $1) : "-" },
    ]

    static let allocationColumns: [Column<Taizhang_Ledger_V1_Allocation>] = [
        .label("用途", "purpose") { RiskLabels.name(StewardshipLabels.purposes, $0.purpose, $1) }, .money("金额(元)", "amount (yuan)") { $0.amountFen },
        Column("农户", "households", rightAligned: true) { $0.households.isEmpty ? "-" : Format.number($0.households.count) },
    ]

    static let stepColumns: [Column<Taizhang_Ledger_V1_PlanStep>] = [
        .label("程序", "step") { RiskLabels.name(StewardshipLabels.stages, $0.stage, $1) }, Column("日期", "date") { $0.date },
        Column("经办", "by") { $0.actor.isEmpty ? $0.identity : "\($0.actor) (\($0.identity))" }, Column("说明", "note") { $0.note },
    ]

    /// The plan for people: where it stands, its allocations and its steps.
    static func describe(_ plan: Taizhang_Ledger_V1_DistributionPlan, _ language: Language) {
        let zh = language == .zh
        let stage = RiskLabels.name(StewardshipLabels.stages, plan.stage, language)
        print("\(plan.id) \(plan.title.isEmpty ? "" : plan.title + " ")（\(plan.ownerCode)）\(zh ? "阶段" : "stage") \(stage)\(plan.overdue ? (zh ? " 【已逾期】" : " [overdue]") : "")")
        print(zh ? "收益 \(Format.yuan(plan.incomeFen)) 元（\(plan.incomeIds.joined(separator: "、"))），\(plan.incomeReceivedOn) 到账，应于 \(plan.deadline) 前落实"
                 : "income \(Format.yuan(plan.incomeFen)) yuan (\(plan.incomeIds.joined(separator: ", "))) received \(plan.incomeReceivedOn); due \(plan.deadline)")
        print(Table(allocationColumns, plan.allocations, language).render())
        print(Table(stepColumns, plan.steps, language).render())
        if !plan.payments.isEmpty {
            print(zh ? "发放到户（\(plan.payments.count) 户，合计 \(Format.yuan(plan.payments.reduce(0) { $0 + $1.amountFen })) 元）："
                     : "paid to households (\(plan.payments.count), \(Format.yuan(plan.payments.reduce(0) { $0 + $1.amountFen })) yuan in all):")
            for line in plan.payments {
                let receipt = line.method == .cash ? (zh ? "现金，签领表 " : "cash, signed sheet ") + String(line.signedSheetSha256.prefix(12))
                                                   : (zh ? "转账 " : "transfer ") + line.transferReference
                print("  \(line.householdID)  \(Format.yuan(line.amountFen))  \(receipt)")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draft a plan over specific income (004 §28–31).",
            discussion: """
            The allocations must add up to the income, keep a reserve and serve households without labour capacity first \
            (a plan that hands everything out is refused: 一分了之). Example:
              taizhang plan create --owner 421024101201 --income SY00000001 \\
                --allocation reserve:1000 --allocation collective_economy:2000 \\
                --household no_labour_households:王五:3500 --household no_labour_households:赵六:3500
            """)
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("owner"), help: "The unit whose income it distributes (12-digit code).") var owner: String
        @Option(name: .customLong("income"), help: "An income record it distributes, e.g. SY00000001 (repeat).") var income: [String] = []
        @Option(name: .customLong("allocation"), help: "PURPOSE:YUAN for a purpose that pays no households (repeat): public_welfare_jobs, collective_economy, public_works, reserve.") var allocations: [String] = []
        @Option(name: .customLong("household"), help: "PURPOSE:NAME:YUAN, one household's share (repeat): no_labour_households or other_households; NAME may be a household of the register (HH00000001).") var households: [String] = []
        @Option(name: .customLong("title"), help: "A title, e.g. 2026年光伏收益分配方案.") var title: String = ""
        @Option(name: .customLong("drafted-on"), help: "When the village committee drafted it (default: today).") var draftedOn: String = ""
        @Option(name: .customLong("note"), help: "A note on the draft.") var note: String = ""

        func run() async throws {
            var request = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
            request.plan.ownerCode = owner
            request.plan.title = title
            request.plan.incomeIds = income
            request.draftedOn = draftedOn
            request.note = note
            var byPurpose: [(Taizhang_Ledger_V1_AllocationPurpose, Taizhang_Ledger_V1_Allocation)] = []
            func slot(_ purpose: Taizhang_Ledger_V1_AllocationPurpose) -> Int {
                if let index = byPurpose.firstIndex(where: { $0.0 == purpose }) { return index }
                byPurpose.append((purpose, .with { $0.purpose = purpose }))
                return byPurpose.count - 1
            }
            for text in allocations {
                let parts = try StewardshipLabels.parts(text, 2, option: "--allocation", format: "PURPOSE:YUAN, e.g. reserve:1000")
                let index = slot(try RiskLabels.pick(StewardshipLabels.purposes, parts[0], option: "--allocation"))
                byPurpose[index].1.amountFen = Money.add(byPurpose[index].1.amountFen, try parseYuan(parts[1], option: "--allocation"))
            }
            for text in households {
                let parts = try StewardshipLabels.parts(text, 3, option: "--household", format: "PURPOSE:NAME:YUAN, e.g. no_labour_households:王五:3500")
                let index = slot(try RiskLabels.pick(StewardshipLabels.purposes, parts[0], option: "--household"))
                let fen = try parseYuan(parts[2], option: "--household")
                let registered = parts[1].hasPrefix("HH") && parts[1].count == 10 && parts[1].dropFirst(2).allSatisfy { $0.isASCII && $0.isNumber }
                byPurpose[index].1.households.append(.with {
                    if registered { $0.householdID = parts[1] } else { $0.name = parts[1] }
                    $0.amountFen = fen
                })
                byPurpose[index].1.amountFen = Money.add(byPurpose[index].1.amountFen, fen)
            }
            request.plan.allocations = byPurpose.sorted { $0.0.rawValue < $1.0.rawValue }.map(\.1)
            try await global.show(RPC.Ledger.createDistributionPlan, request) { PlanCommand.describe($0, global.language) }
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the plan's next step: assembly_passed, published, township_approved, filed, carried_out.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Plan id, e.g. FP00000001.") var id: String
        @Option(name: .customLong("to"), help: "The next stage.") var stage: String
        @Option(name: .customLong("date"), help: "When it happened (default: today).") var date: String = ""
        @Option(name: .customLong("note"), help: "A note, e.g. the notice's place or the approval's reference.") var note: String = ""
        @Option(name: .customLong("representatives"), help: "assembly_passed: representatives in all.") var total: Int32 = 0
        @Option(name: .customLong("present"), help: "assembly_passed: representatives present.") var present: Int32 = 0
        @Option(name: .customLong("poor-present"), help: "assembly_passed: of them, representatives of poor households.") var poor: Int32 = 0
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the plan is still at this version (0: no check).") var expectedVersion: Int64 = 0
        @Option(name: .customLong("payment"), help: """
            carried_out: what reached one household of the register (repeat), HH00000001:YUAN:transfer:BANK-REFERENCE \
            or HH00000001:YUAN:cash:SHA256-OF-THE-SIGNED-SHEET.
            """) var payments: [String] = []

        func run() async throws {
            var request = Taizhang_Ledger_V1_AdvanceDistributionPlanRequest()
            request.payments = try payments.map { text in
                let parts = try StewardshipLabels.parts(text, 4, option: "--payment", format: "HOUSEHOLD:YUAN:transfer:REFERENCE or HOUSEHOLD:YUAN:cash:SHA256")
                let fen = try parseYuan(parts[1], option: "--payment")
                guard let method = ["transfer": Taizhang_Ledger_V1_PaymentMethod.transfer, "转账": .transfer, "cash": .cash, "现金": .cash][parts[2]] else {
                    throw ValidationError("--payment \(text): the method is transfer (转账) or cash (现金)")
                }
                return .with {
                    $0.householdID = parts[0]; $0.amountFen = fen; $0.method = method
                    if method == .cash { $0.signedSheetSha256 = parts[3] } else { $0.transferReference = parts[3] }
                }
            }
            request.planID = id
            request.stage = try RiskLabels.pick(StewardshipLabels.stages, stage, option: "--to")
            request.date = date
            request.note = note
            request.expectedVersion = expectedVersion
            if total > 0 || present > 0 || poor > 0 {
                request.assembly = .with {
                    $0.date = date.isEmpty ? ChinaDate.today : date
                    $0.representativesTotal = total
                    $0.representativesPresent = present
                    $0.poorHouseholdRepresentatives = poor
                }
            }
            try await global.show(RPC.Ledger.advanceDistributionPlan, request) { PlanCommand.describe($0, global.language) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a plan with its allocations and steps.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Plan id.") var id: String

        func run() async throws {
            try await global.show(RPC.Ledger.getDistributionPlan, .with { $0.id = id }) { PlanCommand.describe($0, global.language) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List plans, optionally of one unit or stage, or only those overdue.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("owner"), help: "Only plans of this unit or below.") var owner: String = ""
        @Option(name: .customLong("stage"), help: "Only plans at this stage.") var stage: String?
        @Flag(name: .customLong("overdue"), help: "Only plans past their deadline and not carried out.") var overdue = false

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListDistributionPlansRequest()
            request.ownerCode = owner
            if let stage { request.stage = try RiskLabels.pick(StewardshipLabels.stages, stage, option: "--stage") }
            request.overdueOnly = overdue
            request.pageSize = 1000
            try await global.list(RPC.Ledger.listDistributionPlans, request, items: \.plans, columns: PlanCommand.columns)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export a plan: its households as CSV, or the notice-board page as HTML.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Plan id.") var id: String
        @Option(help: "csv or html.") var format: String = "csv"
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?
        @Option(name: .customLong("objections-to"), help: "HTML: who takes objections, e.g. \"白马村村务监督委员会 0716-1234567\".") var objectionsTo: String = ""

        func validate() throws {
            if format != "csv" && format != "html" { throw ValidationError("--format must be csv or html") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let plan = try await global.call(client, RPC.Ledger.getDistributionPlan, .with { $0.id = id })
            let english = global.language == .en
            let text = format == "csv"
                ? "\u{FEFF}" + CSV.write(DistributionNotice.rows(plan, english: english))
                : try await global.stamped(DistributionNotice.html(plan, unitName: try await global.unitName(client, code: plan.ownerCode), objectionsTo: objectionsTo, english: english),
                                           client, records: [(plan.id, "\(plan.id) \(plan.title)")])
            try global.emit(text, to: out, note: english ? "wrote plan \(plan.id) to \(out ?? "")" : "已导出分配方案 \(plan.id) 到 \(out ?? "")")
        }
    }
}

extension PlanCommand {
    /// `taizhang plan sheet`: the households' payment sheet for signatures.
    struct Sheet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A plan's household payment sheet 发放签领表 for signatures and thumbprints: printable HTML or CSV (ID numbers masked).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Plan id.") var id: String
        @Option(help: "html or csv.") var format: String = "html"
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?

        func validate() throws {
            if format != "csv" && format != "html" { throw ValidationError("--format must be html or csv") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let plan = try await global.call(client, RPC.Ledger.getDistributionPlan, .with { $0.id = id })
            let english = global.language == .en
            var lines: [PaymentSheet.Line] = []
            let shares = plan.allocations.flatMap(\.households)
            // The register's entries of the plan's unit, a page of 1,000 at a time (not a call per household).
            var register: [String: Taizhang_Household_V1_Household] = [:]
            if shares.contains(where: { !$0.householdID.isEmpty }) {
                var token = ""
                repeat {
                    let page = try await global.call(client, RPC.Households.listHouseholds, .with { $0.adminCode = plan.ownerCode; $0.pageSize = 1000; $0.pageToken = token })
                    for household in page.households { register[household.id] = household }
                    token = page.nextPageToken
                } while !token.isEmpty
            }
            let payments = Dictionary(plan.payments.map { ($0.householdID, $0) }, uniquingKeysWith: { first, _ in first })
            for share in shares {
                guard !share.householdID.isEmpty else {
                    lines.append(.init(householdId: "", headName: share.name, idNumberMasked: "", amountFen: share.amountFen, paid: ""))
                    continue
                }
                var household = register[share.householdID]
                if household == nil { household = try await global.call(client, RPC.Households.getHousehold, .with { $0.id = share.householdID }) }
                guard let household else { continue }
                let payment = payments[share.householdID]
                let paid = payment.map { $0.method == .cash ? (english ? "cash" : "现金") : (english ? "transfer " : "转账 ") + $0.transferReference } ?? ""
                lines.append(.init(householdId: household.id, headName: household.headName, idNumberMasked: household.idNumber, amountFen: share.amountFen, paid: paid))
            }
            let text = format == "csv"
                ? "\u{FEFF}" + CSV.write(PaymentSheet.rows(plan, lines: lines, english: english))
                : PaymentSheet.html(plan, lines: lines, unitName: try await global.unitName(client, code: plan.ownerCode), english: english)
            try global.emit(text, to: out, note: english ? "wrote the payment sheet of \(plan.id) to \(out ?? "")" : "已导出 \(plan.id) 发放签领表到 \(out ?? "")")
        }
    }
}

// MARK: Stock-takes

struct StockTakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stocktake", abstract: "The yearly stock-take 清查盘点 (004 §23): open, count, close, show, list, export.",
                                                    subcommands: [Open.self, Count.self, Close.self, Show.self, List.self, Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export a count sheet: CSV (fill it in on site, then `stocktake count --csv`) or a printable page with the result.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Stock-take id.") var id: String
        @Option(help: "csv or html.") var format: String = "csv"
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?

        func validate() throws {
            if format != "csv" && format != "html" { throw ValidationError("--format must be csv or html") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let count = try await global.call(client, RPC.Ledger.getStockTake, .with { $0.id = id })
            let english = global.language == .en
            let text = format == "csv"
                ? "\u{FEFF}" + CSV.write(CountSheet.rows(count, english: english))
                : CountSheet.html(count, unitName: try await global.unitName(client, code: count.adminCode), english: english)
            try global.emit(text, to: out, note: english ? "wrote count \(count.id) to \(out ?? "")" : "已导出盘点表 \(count.id) 到 \(out ?? "")")
        }
    }

    static let columns: [Column<Taizhang_Ledger_V1_StockTake>] = [
        Column("编号", "id") { $0.id }, Column("单位", "unit") { $0.adminCode }, Column("年度", "year") { Format.number($0.year) },
        Column("开始", "opened") { $0.openedOn }, Column("结束", "closed") { Format.orDash($0.closedOn) },
        .label("账实相符", "book = reality") { $0.hasReport ? Format.yesNo($0.report.bookEqualsReality, $1) : "-" },
        Column("盘亏", "lost") { $0.hasReport ? Format.number($0.report.lost.count) : "-" },
    ]

    /// The count for people: when, how far it got and, once closed, what it found.
    static func describe(_ count: Taizhang_Ledger_V1_StockTake, _ language: Language) {
        let zh = language == .zh
        print(zh ? "\(count.id) \(count.adminCode) \(count.year)年度清查，\(count.openedOn) 开始，\(count.closedOn.isEmpty ? "进行中" : count.closedOn + " 结束")"
                 : "\(count.id) \(count.adminCode) count of \(count.year), opened \(count.openedOn), \(count.closedOn.isEmpty ? "open" : "closed " + count.closedOn)")
        let counted = count.scope.isEmpty ? "" : (zh ? "，已盘点 \(count.scope.count - Int(count.uncounted)) 项，未盘点 \(count.uncounted) 项" : "; \(count.scope.count - Int(count.uncounted)) counted, \(count.uncounted) to go")
        print(zh ? "应盘资产 \(count.scope.isEmpty ? Int(count.report.assetsInScope) : count.scope.count) 项\(counted)" : "\(count.scope.isEmpty ? Int(count.report.assetsInScope) : count.scope.count) assets in scope\(counted)")
        if count.hasReport {
            let report = count.report
            print(zh ? "盘点结果：账实\(report.bookEqualsReality ? "相符" : "不符")；找到 \(report.found) 项，盘亏 \(report.lost.count) 项\(report.lost.isEmpty ? "" : "（\(report.lost.joined(separator: "、"))，须按程序处置；到户类资产由村委会登记）")，盘盈 \(report.surplusCount) 项 \(Format.yuan(report.surplusValueFen)) 元"
                     : "result: book \(report.bookEqualsReality ? "equals" : "differs from") reality; \(report.found) found, \(report.lost.count) lost\(report.lost.isEmpty ? "" : " (\(report.lost.joined(separator: ", ")): dispose of them by the procedure; a household asset's loss is registered by the village committee)"), \(report.surplusCount) surplus worth \(Format.yuan(report.surplusValueFen)) yuan")
        }
        if !count.upkeepOverdue.isEmpty {
            let shown = count.upkeepOverdue.prefix(20).joined(separator: zh ? "、" : ", ") + (count.upkeepOverdue.count > 20 ? "…" : "")
            print(zh ? "管护缺失：\(count.upkeepOverdue.count) 项资产超过期限无管护记录（\(shown)）"
                     : "upkeep overdue: \(count.upkeepOverdue.count) asset(s) with no upkeep record within the period (\(shown))")
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a unit's yearly count: every asset of its subtree in the active ledger is in scope.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Admin code of the unit counted.") var adminCode: String
        @Option(name: .customLong("year"), help: "The year counted: this year or the last.") var year: Int32
        @Option(name: .customLong("date"), help: "When the count opened (default: today).") var date: String = ""

        func run() async throws {
            let request = Taizhang_Ledger_V1_OpenStockTakeRequest.with { $0.adminCode = adminCode; $0.year = year; $0.date = date }
            try await global.show(RPC.Ledger.openStockTake, request) { StockTakeCommand.describe($0, global.language) }
        }
    }

    struct Count: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record what the count found: assets found (with their condition), not found, and surplus.",
            discussion: """
            A line for an asset recorded by an earlier call replaces the earlier line (an asset may appear once \
            per call); a surplus line replaces an earlier one with the same description, so running the \
            command again records nothing twice. A CSV file (--csv) starts with the header \
            资产ID,是否找到,状况,实盘数量 (or asset_id,found,condition,counted_quantity), then one asset a row \
            with 是/否 or yes/no; it is sent 2,000 lines a call, each call applied whole.
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Stock-take id, e.g. PD00000001.") var id: String
        @Option(name: .customLong("found"), help: "ASSET:CONDITION[:QUANTITY] for an asset found (repeat), e.g. ZC00000001:好; ASSET may be the text scanned from its tag (`asset tags`).") var found: [String] = []
        @Option(name: .customLong("lost"), help: "An asset not found (盘亏) (repeat).") var lost: [String] = []
        @Option(name: .customLong("surplus"), help: "DESCRIPTION:YUAN:BASIS for something found beyond the book (盘盈), basis appraisal or replacement_cost (repeat).") var surplus: [String] = []
        @Option(name: .customLong("csv"), help: "A CSV file of lines.") var csv: String?

        func run() async throws {
            var lines: [Taizhang_Ledger_V1_CountLine] = []
            for given in found {
                // A tag's scanned code names the asset: its own text holds one colon, after "taizhang".
                let scanned = given.hasPrefix("taizhang:")
                let text = scanned ? String(given.dropFirst("taizhang:".count)) : given
                var parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                if scanned { parts[0] = AssetTags.assetId("taizhang:" + parts[0]) }
                guard parts.count >= 2 else {
                    printError("--found \(text): write ASSET:CONDITION[:QUANTITY], e.g. ZC00000001:好")
                    throw ExitCode(2)
                }
                lines.append(.with { $0.assetID = parts[0]; $0.found = true; $0.condition = parts[1]; $0.countedQuantity = parts.count > 2 ? parts[2] : "" })
            }
            for asset in lost {
                lines.append(.with { $0.assetID = AssetTags.assetId(asset); $0.found = false; $0.condition = "未找到" })
            }
            if let csv { lines += try Self.read(csv) }
            var surplusLines: [Taizhang_Ledger_V1_SurplusLine] = []
            for text in surplus {
                let parts = try StewardshipLabels.parts(text, 3, option: "--surplus", format: "DESCRIPTION:YUAN:BASIS, e.g. 水泵一台:1200:replacement_cost")
                let fen = try parseYuan(parts[1], option: "--surplus")
                let basis = try RiskLabels.pick(StewardshipLabels.bases, parts[2], option: "--surplus")
                surplusLines.append(.with { $0.description_p = parts[0]; $0.valueFen = fen; $0.valueBasis = basis })
            }
            if lines.isEmpty, surplusLines.isEmpty {
                printError("nothing to record: give --found, --lost, --surplus or --csv")
                throw ExitCode(2)
            }
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var count = Taizhang_Ledger_V1_StockTake()
            var start = 0
            // One key per chunk of this run: a chunk retried after a lost answer is not applied twice.
            let run = UUID().uuidString
            repeat {
                var request = Taizhang_Ledger_V1_RecordCountRequest()
                request.stockTakeID = id
                request.lines = Array(lines[start..<min(lines.count, start + 2000)])
                if start == 0 { request.surplus = surplusLines }
                count = try await global.call(client, RPC.Ledger.recordCount, request, as: Taizhang_Ledger_V1_StockTake.self,
                                              idempotencyKey: "count-\(run)-\(start)")
                start += 2000
            } while start < lines.count
            try global.present(count) { StockTakeCommand.describe($0, global.language) }
        }

        static func read(_ path: String) throws -> [Taizhang_Ledger_V1_CountLine] {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("cannot read \(path)")
                throw ExitCode(1)
            }
            let records: [CSVRecord]
            do {
                records = try CSV.parse([UInt8](data))
            } catch {
                printError("\(path): \(error)")
                throw ExitCode(2)
            }
            var lines: [Taizhang_Ledger_V1_CountLine] = []
            let header = records.first?.fields.map { $0.trimmingCharacters(in: .whitespaces) } ?? []
            guard header.count >= 3, ["资产ID", "asset_id"].contains(header[0]) else {
                printError("\(path): the first row must be the header 资产ID,是否找到,状况,实盘数量 (or asset_id,found,condition,counted_quantity)")
                throw ExitCode(2)
            }
            for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].isEmpty) {
                let fields = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                // A row of the exported sheet not filled in yet: not counted.
                if fields.count >= 2, fields[1].isEmpty, fields.dropFirst().allSatisfy(\.isEmpty) { continue }
                guard fields.count >= 3, ["是", "否", "yes", "no"].contains(fields[1]) else {
                    printError("\(path):\(record.line): write 资产ID,是否找到(是/否),状况[,实盘数量]")
                    throw ExitCode(2)
                }
                lines.append(.with {
                    $0.assetID = AssetTags.assetId(fields[0])
                    $0.found = fields[1] == "是" || fields[1] == "yes"
                    $0.condition = fields[2]
                    $0.countedQuantity = fields.count > 3 ? fields[3] : ""
                })
            }
            return lines
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a count once every asset in scope has a line; prints the report.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Stock-take id.") var id: String
        @Option(name: .customLong("date"), help: "When it closed (default: today).") var date: String = ""
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the count is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func run() async throws {
            let request = Taizhang_Ledger_V1_CloseStockTakeRequest.with { $0.stockTakeID = id; $0.date = date; $0.expectedVersion = expectedVersion }
            try await global.show(RPC.Ledger.closeStockTake, request) { StockTakeCommand.describe($0, global.language) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a count, its progress and, once closed, its report.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Stock-take id.") var id: String

        func run() async throws {
            try await global.show(RPC.Ledger.getStockTake, .with { $0.id = id }) { StockTakeCommand.describe($0, global.language) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List counts, optionally of one unit's subtree or year.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin-code"), help: "Only counts of this unit or below.") var adminCode: String = ""
        @Option(name: .customLong("year"), help: "Only this year's.") var year: Int32 = 0

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListStockTakesRequest()
            request.adminCode = adminCode
            request.year = year
            request.pageSize = 1000
            try await global.list(RPC.Ledger.listStockTakes, request, items: \.stockTakes, columns: StockTakeCommand.columns, json: .merged)
        }
    }
}

// MARK: Disposal

struct DisposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disposal", abstract: "Disposal 处置 and the write-off ledger 核销登记台账: record, list, export.",
                                                    subcommands: [Record.self, Approve.self, Household.self, List.self, Export.self])

    static let columns: [Column<Taizhang_Ledger_V1_Disposal>] = [
        Column("编号", "id") { $0.id }, Column("资产", "asset") { $0.assetID }, Column("名称", "name") { $0.assetName },
        .label("原因", "reason") { RiskLabels.name(StewardshipLabels.reasons, $0.reason, $1) },
        .label("方式", "method") { RiskLabels.name(StewardshipLabels.methods, $0.method, $1) },
        .money("净值(元)", "net (yuan)") { $0.netValueFen }, .money("处置收入(元)", "proceeds (yuan)") { $0.proceedsFen }, Column("日期", "date") { $0.date },
    ]

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dispose of an asset after its appraisal, approvals and publication (004 §24–27).",
            discussion: """
            Village assets need approvals township, county_department and county_poverty_office; state-owned assets \
            county_department, county_poverty_office and county_finance. An auction or transfer publishes the \
            valuation first; proceeds below the appraisal need --below-reason. Example:
              taizhang disposal record ZC00000001 --reason planning --method auction --appraiser 荆州信达资产评估事务所 \\
                --appraised 3000 --appraised-on 2026-08-01 --approval township:熊河镇人民政府:2026-08-10 \\
                --approval county_department:县农业农村局:2026-08-20 --approval county_poverty_office:县乡村振兴局:2026-08-25 \\
                --published-on 2026-08-26 --proceeds 3200 --date 2026-09-15
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id.") var asset: String
        @Option(name: .customLong("reason"), help: "natural_disaster, accident, planning, wear, scrapping or stock_take_loss.") var reason: String
        @Option(name: .customLong("method"), help: "auction (拍卖), transfer (转让) or scrap (报废).") var method: String
        @Option(name: .customLong("appraiser"), help: "The independent appraiser.") var appraiser: String?
        @Option(name: .customLong("appraised"), help: "The appraised value in yuan (required with --appraiser).") var appraised: String?
        @Option(name: .customLong("appraised-on"), help: "The appraisal's date.") var appraisedOn: String = ""
        @Option(name: .customLong("approval"), help: "LEVEL:BY:DATE (repeat), e.g. township:熊河镇人民政府:2026-08-10.") var approvals: [String] = []
        @Option(name: .customLong("published-on"), help: "When the valuation was published.") var publishedOn: String = ""
        @Option(name: .customLong("proceeds"), help: "What the disposal brought in, in yuan.") var proceeds: String = "0"
        @Option(name: .customLong("below-reason"), help: "Why the proceeds are below the appraisal.") var belowReason: String = ""
        @Option(name: .customLong("date"), help: "The disposal's day.") var date: String
        @Option(name: .customLong("stock-take"), help: "For stock_take_loss: the closed count that found it lost.") var stockTake: String = ""
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the asset is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func run() async throws {
            var request = Taizhang_Ledger_V1_DisposeAssetRequest()
            request.disposal.assetID = asset
            request.disposal.reason = try RiskLabels.pick(StewardshipLabels.reasons, reason, option: "--reason")
            request.disposal.method = try RiskLabels.pick(StewardshipLabels.methods, method, option: "--method")
            if let appraiser {
                guard let appraised else {
                    printError("--appraiser needs --appraised (the appraised value in yuan) and --appraised-on")
                    throw ExitCode(2)
                }
                let fen = try parseYuan(appraised, option: "--appraised")
                request.disposal.appraisal = .with { $0.appraiser = appraiser; $0.valueFen = fen; $0.date = appraisedOn }
            }
            for text in approvals {
                let parts = try StewardshipLabels.parts(text, 3, option: "--approval", format: "LEVEL:BY:DATE, e.g. township:熊河镇人民政府:2026-08-10")
                let level = try RiskLabels.pick(StewardshipLabels.levels, parts[0], option: "--approval")
                request.disposal.approvals.append(.with { $0.level = level; $0.by = parts[1]; $0.date = parts[2] })
            }
            request.disposal.valuationPublishedOn = publishedOn
            request.disposal.proceedsFen = try parseYuan(proceeds, option: "--proceeds")
            request.disposal.belowAppraisalReason = belowReason
            request.disposal.date = date
            request.disposal.stockTakeID = stockTake
            request.expectedVersion = expectedVersion
            try await global.show(RPC.Ledger.disposeAsset, request) { entry in
                if entry.hasSignOff {
                    print("\(entry.id) \(entry.assetID) \(entry.assetName): " + Labels.signOff(entry.signOff, global.language))
                    return
                }
                let (proceeds, net) = (Format.yuan(entry.proceedsFen), Format.yuan(entry.netValueFen))
                print(global.language == .zh
                      ? "\(entry.id) 已登记核销：\(entry.assetID) \(entry.assetName)，\(entry.date) \(RiskLabels.name(StewardshipLabels.methods, entry.method, .zh))，处置收入 \(proceeds) 元，处置时净值 \(net) 元"
                      : "\(entry.id) written off: \(entry.assetID) \(entry.assetName), \(entry.method == .scrap ? "scrapped" : "disposed of") on \(entry.date), proceeds \(proceeds), net value \(net) (yuan)")
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve (or --reject) a drafted disposal; once approved the asset leaves the active ledger.",
            discussion: "With an access file a disposal is a draft until an identity holding disposal.approve, other than the one that drafted it, decides it (docs/security.md). `taizhang disposal list --sign-off pending` lists the drafts.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Disposal id, e.g. CZ00000001.") var disposal: String
        @Option(help: "Date of the decision, YYYY-MM-DD.") var date: String
        @Flag(help: "Reject it instead (needs --note).") var reject = false
        @Option(help: "Why (required with --reject).") var note: String = ""
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the disposal is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func run() async throws {
            var request = Taizhang_Ledger_V1_ApproveDisposalRequest()
            request.disposalID = disposal
            request.decision = reject ? .reject : .approve
            request.date = date
            request.note = note
            request.expectedVersion = expectedVersion
            try await global.show(RPC.Ledger.approveDisposal, request) { entry in
                print("\(entry.id) \(entry.assetID) \(entry.assetName): " + Labels.signOff(entry.signOff, global.language))
            }
        }
    }

    /// Every entry of the write-off ledger matching the filters.
    static func entries(_ global: GlobalOptions, _ client: TaizhangClient, adminCode: String, year: Int32,
                        signOff: Taizhang_Ledger_V1_SignOffState = .unspecified) async throws -> [Taizhang_Ledger_V1_Disposal] {
        var request = Taizhang_Ledger_V1_ListDisposalsRequest()
        request.adminCode = adminCode
        request.year = year
        request.signOff = signOff
        request.pageSize = 1000
        return try await global.all(client, RPC.Ledger.listDisposals, request, items: \.disposals)
    }

    /// The entries as one list response, with their count and sums.
    static func ledger(_ entries: [Taizhang_Ledger_V1_Disposal]) -> Taizhang_Ledger_V1_ListDisposalsResponse {
        .with { response in
            response.disposals = entries
            response.total = UInt64(entries.count)
            for entry in entries {
                response.originalValueFen = Money.add(response.originalValueFen, entry.originalValueFen)
                response.netValueFen = Money.add(response.netValueFen, entry.netValueFen)
                response.proceedsFen = Money.add(response.proceedsFen, entry.proceedsFen)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The write-off ledger, optionally of one unit's subtree or year.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin-code"), help: "Only disposals in this unit or below.") var adminCode: String = ""
        @Option(name: .customLong("year"), help: "Only disposals of this year.") var year: Int32 = 0
        @Option(name: .customLong("sign-off"), help: "pending or rejected: drafts waiting for a decision, or refused (default: the write-off ledger).") var signOff: String?

        func validate() throws {
            if let signOff, signOff != "pending", signOff != "rejected" { throw ValidationError("--sign-off must be pending or rejected") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let state: Taizhang_Ledger_V1_SignOffState = switch signOff {
            case "pending": .signOffPending
            case "rejected": .signOffRejected
            default: .unspecified
            }
            let entries = try await DisposalCommand.entries(global, client, adminCode: adminCode, year: year, signOff: state)
            try global.present(DisposalCommand.ledger(entries)) { print(Table(DisposalCommand.columns, $0.disposals, global.language).render()) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export the write-off ledger as CSV or as a printable HTML page.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin-code"), help: "Only disposals in this unit or below.") var adminCode: String = ""
        @Option(name: .customLong("year"), help: "Only disposals of this year.") var year: Int32 = 0
        @Option(help: "csv or html.") var format: String = "csv"
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?

        func validate() throws {
            if format != "csv" && format != "html" { throw ValidationError("--format must be csv or html") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let entries = try await DisposalCommand.entries(global, client, adminCode: adminCode, year: year)
            let english = global.language == .en
            let text = format == "csv"
                ? "\u{FEFF}" + CSV.write(WriteOffLedger.rows(entries, english: english))
                : try await global.stamped(WriteOffLedger.html(entries, unitName: try await global.unitName(client, code: adminCode), asOf: ChinaDate.today, english: english),
                                           client, records: entries.map { ($0.id, "\($0.id) \($0.assetName)") })
            try global.emit(text, to: out, note: english ? "wrote \(entries.count) entries to \(out ?? "")" : "已导出 \(entries.count) 条核销记录到 \(out ?? "")")
        }
    }
}

// MARK: Revitalising

struct RevitaliseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revitalise", abstract: "Revitalising plans 盘活方案 for idle or loss-making assets: record, list.",
                                                    subcommands: [Record.self, List.self])

    static let columns: [Column<Taizhang_Ledger_V1_RevitalisingPlan>] = [
        Column("编号", "id") { $0.id }, Column("资产", "asset") { $0.assetID }, Column("措施", "measures") { $0.measures },
        Column("责任人", "responsible") { $0.responsible }, Column("批准", "approved by") { $0.approvedBy }, Column("实施日期", "effective") { $0.effectiveOn },
    ]

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a plan; from --effective-on the monitor stops the asset's idle and loss alerts.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id.") var asset: String
        @Option(name: .customLong("measures"), help: "What will be done, e.g. 对外公开招租.") var measures: String
        @Option(name: .customLong("responsible"), help: "Who is responsible.") var responsible: String
        @Option(name: .customLong("approved-by"), help: "Who approved the plan, e.g. 白马村村民代表大会.") var approvedBy: String
        @Option(name: .customLong("effective-on"), help: "When it takes effect, YYYY-MM-DD.") var effectiveOn: String

        func run() async throws {
            let request = Taizhang_Ledger_V1_RecordRevitalisingPlanRequest.with {
                $0.plan.assetID = asset
                $0.plan.measures = measures
                $0.plan.responsible = responsible
                $0.plan.approvedBy = approvedBy
                $0.plan.effectiveOn = effectiveOn
            }
            try await global.show(RPC.Ledger.recordRevitalisingPlan, request) { plan in
                print(global.language == .zh ? "\(plan.id) 已登记：\(plan.assetID) 盘活方案（\(plan.measures)），\(plan.effectiveOn) 起实施"
                                             : "\(plan.id) recorded: \(plan.assetID) revitalising plan (\(plan.measures)) effective \(plan.effectiveOn)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List revitalising plans, optionally of one asset or unit.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("asset"), help: "Only this asset's.") var asset: String = ""
        @Option(name: .customLong("admin-code"), help: "Only assets of this unit or below.") var adminCode: String = ""

        func run() async throws {
            let request = Taizhang_Ledger_V1_ListRevitalisingPlansRequest.with { $0.assetID = asset; $0.adminCode = adminCode; $0.pageSize = 1000 }
            try await global.list(RPC.Ledger.listRevitalisingPlans, request, items: \.plans, columns: RevitaliseCommand.columns, json: .merged)
        }
    }
}
