// taizhang asset confirm | publish | object | resolve | close-notice |
// handover | operate | use | value | depreciation | history: the life cycle.

import ArgumentParser
import Foundation
import SwiftProtobuf
import TaizhangClient
import TaizhangProto
import TaizhangSheets

/// Options every life-cycle step takes.
struct StepOptions: ParsableArguments {
    @Argument(help: "Asset id, e.g. ZC00000001.") var id: String
    @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the asset is still at this version (0: no check).") var expectedVersion: Int64 = 0
}

extension GlobalOptions {
    /// Runs one life-cycle step and prints where the asset now stands.
    func step<Request: SwiftProtobuf.Message>(_ method: RPCMethod<Request, Taizhang_Ledger_V1_Asset>, _ request: Request) async throws {
        try await show(method, request, describeStep)
    }

    /// Where the asset stands after a step: its stage, a sign-off waiting, the notice up, the handover deadline.
    func describeStep(_ asset: Taizhang_Ledger_V1_Asset) {
        print("\(asset.id) \(asset.name): \(Labels.stage(asset.lifecycle.stage, language)) (version \(asset.version))")
        if asset.lifecycle.stage == .ownershipConfirmed, asset.lifecycle.ownership.hasSignOff {
            print(Labels.signOff(asset.lifecycle.ownership.signOff, language))
        }
        if asset.lifecycle.stage == .underPublication, asset.lifecycle.ownership.hasCorrection {
            print((language == .zh ? "更正后的权属：" : "corrected owners: ") + Labels.signOff(asset.lifecycle.ownership.correction.signOff, language))
        }
        if let notice = asset.lifecycle.publications.last, notice.closed.isEmpty, notice.restarted.isEmpty {
            print(language == .zh ? "公示期：\(notice.start) 起，最早 \(notice.earliestClose) 可结束\(notice.provisional ? "（暂定：该年度节假日安排未加载）" : "")"
                                  : "notice from \(notice.start), may close on \(notice.earliestClose) at the earliest\(notice.provisional ? " (provisional: that year's holiday calendar is not loaded)" : "")")
        }
        if asset.lifecycle.stage == .published {
            print(language == .zh ? "移交期限：\(asset.lifecycle.handoverDue)\(asset.lifecycle.handoverDueProvisional ? "（暂定）" : "")"
                                  : "handover due by \(asset.lifecycle.handoverDue)\(asset.lifecycle.handoverDueProvisional ? " (provisional)" : "")")
        }
    }
}

/// "名称/类型/区划代码/份额%" as on the ledger sheet.
func parseOwner(_ text: String) throws -> Taizhang_Ledger_V1_Owner {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 4, let kind = Names.owner.value(of: parts[1]).flatMap(Taizhang_Ledger_V1_OwnerKind.init(rawValue:)),
          let share = Money.basisPoints(parts[3]) else {
        printError("--owner \(text): write 名称/类型/区划代码/份额%, e.g. 白马村集体经济组织/村集体经济组织/421024101201/100%; types: 村集体经济组织、乡镇人民政府、县人民政府、农户、企业、农民专业合作社、其他")
        throw ExitCode(2)
    }
    return .with { $0.name = parts[0]; $0.kind = kind; $0.adminCode = parts[2]; $0.shareBp = share }
}

/// "区划代码:元" for a village's contribution.
func parseContribution(_ text: String) throws -> Taizhang_Ledger_V1_VillageContribution {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, let fen = Money.fen(parts[1]) else {
        printError("--contribution \(text): write 区划代码:金额(元), e.g. 421024101201:500000")
        throw ExitCode(2)
    }
    return .with { $0.adminCode = parts[0]; $0.amountFen = fen }
}

/// An amount in yuan, exactly.
func parseYuan(_ text: String, option: String) throws -> Int64 {
    guard let fen = Money.fen(text) else {
        printError("\(option) \(text): an amount in yuan with at most two decimals, e.g. 12345.67")
        throw ExitCode(2)
    }
    return fen
}

extension AssetCommand {
    struct ProposeOwners: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "propose-owners", abstract: "Show the owners the rules propose (004 §10–14).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id.") var id: String
        @Option(name: .customLong("contribution"), help: "A village's contribution to a cross-village project: CODE:YUAN (repeat).") var contributions: [String] = []

        static let columns: [Column<Taizhang_Ledger_V1_Owner>] = [
            Column("所有权人", "owner") { $0.name }, Column("类型", "kind") { Names.owner.name(of: $0.kind.rawValue) },
            Column("区划代码", "code") { $0.adminCode }, Column("份额", "share", rightAligned: true) { Format.percent($0.shareBp) },
        ]

        func run() async throws {
            var request = Taizhang_Ledger_V1_ProposeOwnershipRequest()
            request.assetID = id
            request.contributions = try contributions.map(parseContribution)
            try await global.show(RPC.Ledger.proposeOwnership, request) { proposal in
                print("\(proposal.rule): \(proposal.explanation)")
                if !proposal.owners.isEmpty { print(Table(Self.columns, proposal.owners, global.language).render()) }
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm ownership 确权; without --owner, the rules' proposal.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "Date confirmed, YYYY-MM-DD.") var date: String
        @Option(name: .customLong("owner"), help: "名称/类型/区划代码/份额% (repeat for several owners).") var owners: [String] = []
        @Option(help: "Why the owners differ from the rules' proposal (required then).") var reason: String = ""
        @Option(name: .customLong("contribution"), help: "A village's contribution: CODE:YUAN (repeat).") var contributions: [String] = []

        func run() async throws {
            var request = Taizhang_Ledger_V1_ConfirmOwnershipRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.date = date
            request.owners = try owners.map(parseOwner)
            request.overrideReason = reason
            request.contributions = try contributions.map(parseContribution)
            try await global.step(RPC.Ledger.confirmOwnership, request)
        }
    }

    struct ApproveOwnership: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-ownership",
            abstract: "Approve (or --reject) an ownership confirmation that waits for a decision.",
            discussion: "With an access file a confirmation is a draft until an identity holding ownership.approve, other than the one that confirmed it, decides it (docs/security.md).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "Date of the decision, YYYY-MM-DD.") var date: String
        @Flag(help: "Reject it instead (needs --note); the clerk confirms again.") var reject = false
        @Option(help: "Why (required with --reject).") var note: String = ""

        func run() async throws {
            var request = Taizhang_Ledger_V1_ApproveOwnershipRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.decision = reject ? .reject : .approve
            request.date = date
            request.note = note
            try await global.step(RPC.Ledger.approveOwnership, request)
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open the ownership notice 确权公示 (at least 7 working days).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "First day of the notice, YYYY-MM-DD.") var start: String

        func run() async throws {
            var request = Taizhang_Ledger_V1_OpenPublicationRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.start = start
            try await global.step(RPC.Ledger.openPublication, request)
        }
    }

    struct Object: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an objection 异议 to the notice that is up.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "Date filed.") var filed: String
        @Option(help: "Who objects.") var filer: String
        @Option(help: "What the objection says.") var content: String

        func run() async throws {
            var request = Taizhang_Ledger_V1_FileObjectionRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.filed = filed
            request.filer = filer
            request.content = content
            try await global.step(RPC.Ledger.fileObjection, request)
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve an objection: --upheld (corrected, the notice restarts) or --dismissed.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "The objection's number.") var number: UInt32
        @Flag(help: "The objection is upheld 异议成立.") var upheld = false
        @Flag(help: "The objection is dismissed 异议不成立.") var dismissed = false
        @Option(help: "Date resolved.") var date: String
        @Option(help: "What was found and done.") var resolution: String
        @Option(name: .customLong("owner"), help: "Upheld: the corrected owners, 名称/类型/区划代码/份额% (repeat).") var owners: [String] = []
        @Option(help: "Upheld: the first day of the new notice (default: --date).") var restart: String = ""

        func validate() throws {
            if upheld == dismissed { throw ValidationError("give exactly one of --upheld and --dismissed") }
        }

        func run() async throws {
            var request = Taizhang_Ledger_V1_ResolveObjectionRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.number = number
            request.outcome = upheld ? .upheld : .dismissed
            request.date = date
            request.resolution = resolution
            request.correctedOwners = try owners.map(parseOwner)
            request.restart = restart
            try await global.step(RPC.Ledger.resolveObjection, request)
        }
    }

    struct CloseNotice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "close-notice", abstract: "Close the notice that is up (ownership or handover).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "Date closed.") var date: String

        func run() async throws {
            var request = Taizhang_Ledger_V1_ClosePublicationRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.date = date
            try await global.step(RPC.Ledger.closePublication, request)
        }
    }

    struct Hand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "handover", abstract: "Record the handover 移交 and open its 10-working-day notice.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "Date handed over.") var date: String
        @Option(name: .customLong("from"), help: "移交方, e.g. the implementing unit.") var fromParty: String
        @Option(name: .customLong("to"), help: "接收方, the owner.") var toParty: String
        @Option(help: "后续管护责任: the upkeep duties taken on.") var duties: String
        @Option(name: .customLong("notice-start"), help: "First day of the handover notice (default: --date).") var noticeStart: String = ""
        @Option(name: .customLong("document"), help: "A document handed over: 名称/类型/SHA-256 (repeat).") var documents: [String] = []

        func run() async throws {
            var request = Taizhang_Ledger_V1_RecordHandoverRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.date = date
            request.fromParty = fromParty
            request.toParty = toParty
            request.upkeepDuties = duties
            request.noticeStart = noticeStart
            request.documents = try documents.map { try AlertsCommand.document($0, option: "--document") }
            try await global.step(RPC.Ledger.recordHandover, request)
        }
    }

    struct Operate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hand the asset to its operator (承包, 租赁, 入股, 托管, or 自营).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "Date of the hand-off.") var date: String
        @Option(help: "self_operated, contracting, lease, equity or entrusted.") var mode: String
        @Option(help: "The operator.") var counterparty: String = ""
        @Option(name: .customLong("annual-fee"), help: "Fee, rent or dividend per year, in yuan.") var annualFee: String = "0"
        @Option(name: .customLong("term-start"), help: "YYYY-MM-DD.") var termStart: String = ""
        @Option(name: .customLong("term-end"), help: "YYYY-MM-DD.") var termEnd: String = ""

        func run() async throws {
            let modes: [String: Taizhang_Ledger_V1_OperationMode] = ["self_operated": .selfOperated, "contracting": .contracting, "lease": .lease,
                                                                     "equity": .equity, "entrusted": .entrusted]
            guard let value = modes[mode] else { printError("--mode must be one of \(modes.keys.sorted().joined(separator: ", "))"); throw ExitCode(2) }
            var request = Taizhang_Ledger_V1_HandOffOperationRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.date = date
            request.operation.mode = value
            request.operation.counterparty = counterparty
            request.operation.annualFeeFen = try parseYuan(annualFee, option: "--annual-fee")
            request.operation.termStart = termStart
            request.operation.termEnd = termEnd
            try await global.step(RPC.Ledger.handOffOperation, request)
        }
    }

    struct Use: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put the handed-over asset into use.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "Date put into use.") var date: String

        func run() async throws {
            var request = Taizhang_Ledger_V1_PutInUseRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.date = date
            try await global.step(RPC.Ledger.putInUse, request)
        }
    }

    struct Value: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a new value (004 §16): final_accounts, appraisal, replacement_cost or renovation.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: StepOptions
        @Option(help: "final_accounts, appraisal, replacement_cost or renovation.") var kind: String
        @Option(help: "From when the value holds.") var date: String
        @Option(help: "The new value in yuan (not for renovation).") var value: String = "0"
        @Option(help: "Renovation: the amount spent, in yuan.") var spend: String = "0"
        @Option(help: "Renovation: the value of the replaced parts, in yuan.") var replaced: String = "0"
        @Option(help: "What the value rests on: the audit report, the appraiser.") var basis: String
        @Option(help: "The funding composition of the new value: 来源:金额;来源:金额 (sources as on the ledger sheet).") var funding: String

        func run() async throws {
            let kinds: [String: Taizhang_Ledger_V1_ValuationKind] = ["final_accounts": .finalAccounts, "appraisal": .appraisal,
                                                                     "replacement_cost": .replacementCost, "renovation": .renovation]
            guard let value = kinds[kind] else { printError("--kind must be one of \(kinds.keys.sorted().joined(separator: ", "))"); throw ExitCode(2) }
            var request = Taizhang_Ledger_V1_RecordValuationRequest()
            request.assetID = step.id
            request.expectedVersion = step.expectedVersion
            request.kind = value
            request.date = date
            request.valueFen = try parseYuan(self.value, option: "--value")
            request.spendFen = try parseYuan(spend, option: "--spend")
            request.replacedFen = try parseYuan(replaced, option: "--replaced")
            request.basis = basis
            for entry in funding.split(whereSeparator: { $0 == ";" || $0 == "；" }) {
                let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, let source = Names.funding.value(of: parts[0]).flatMap(Taizhang_Ledger_V1_FundingSource.init(rawValue:)),
                      let fen = Money.fen(parts[1]) else {
                    printError("--funding \(entry): write 来源:金额, e.g. 中央财政专项扶贫资金:500000"); throw ExitCode(2)
                }
                request.funding.append(.with { $0.source = source; $0.amountFen = fen })
            }
            try await global.step(RPC.Ledger.recordValuation, request)
        }
    }

    struct Depreciation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Depreciation of an asset as of a date, and its monthly schedule.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id.") var id: String
        @Option(name: .customLong("as-of"), help: "YYYY-MM-DD (default: today).") var asOf: String = ""
        @Flag(help: "Print every month of the schedule.") var schedule = false

        static let columns: [Column<Taizhang_Ledger_V1_MonthlyCharge>] = [
            Column("月份", "month") { Format.month(year: $0.year, month: $0.month) }, .money("本月折旧(元)", "charge (yuan)") { $0.chargeFen },
            .money("累计折旧(元)", "accumulated (yuan)") { $0.accumulatedFen }, .money("净值(元)", "net (yuan)") { $0.netValueFen },
        ]

        func run() async throws {
            var request = Taizhang_Ledger_V1_GetDepreciationRequest()
            request.assetID = id
            request.asOf = asOf
            try await global.show(RPC.Ledger.getDepreciation, request) { report in
                let (value, accumulated, net) = (Format.yuan(report.valueFen), Format.yuan(report.accumulatedFen), Format.yuan(report.netValueFen))
                print(report.reason)
                print(global.language == .zh ? "截至 \(report.asOf)：原值 \(value) 元，累计折旧 \(accumulated) 元，净值 \(net) 元"
                                             : "as of \(report.asOf): value \(value), accumulated \(accumulated), net \(net) (yuan)")
                if schedule { print(Table(Self.columns, report.schedule, global.language).render()) }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The asset's life cycle: stage, ownership, notices and objections, handover, valuations.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id.") var id: String

        func run() async throws {
            let asset = try await global.once(RPC.Ledger.getAsset, .with { $0.id = id })
            try global.present(asset.lifecycle) { _ in describe(asset) }
        }

        /// The asset's life cycle for people, step by step.
        func describe(_ asset: Taizhang_Ledger_V1_Asset) {
            let zh = global.language == .zh
            let life = asset.lifecycle
            print("\(asset.id) \(asset.name): \(Labels.stage(life.stage, global.language))")
            if life.hasOwnership {
                let owners = asset.owners.map { "\($0.name) \(Format.percent($0.shareBp))" }.joined(separator: "；")
                print(zh ? "确权 \(life.ownership.date)（\(life.ownership.rule)）：\(owners)\(life.ownership.overrideReason.isEmpty ? "" : "；不同于规则建议，理由：\(life.ownership.overrideReason)")"
                         : "ownership confirmed \(life.ownership.date) (\(life.ownership.rule)): \(owners)\(life.ownership.overrideReason.isEmpty ? "" : "; overriding the rules: \(life.ownership.overrideReason)")")
            }
            for notice in life.publications {
                let kind = notice.kind == .ownershipNotice ? (zh ? "确权公示" : "ownership notice") : (zh ? "移交公示" : "handover notice")
                let end = !notice.closed.isEmpty ? (zh ? "\(notice.closed) 结束" : "closed \(notice.closed)")
                    : !notice.restarted.isEmpty ? (zh ? "\(notice.restarted) 因异议成立重新公示" : "restarted \(notice.restarted) (objection upheld)")
                    : (zh ? "公示中，最早 \(notice.earliestClose) 可结束" : "up; may close on \(notice.earliestClose)")
                print("\(kind) #\(notice.round): \(notice.start) – \(end)\(notice.provisional ? (zh ? "（暂定）" : " (provisional)") : "")")
                for objection in notice.objections {
                    let outcome = objection.outcome == .upheld ? (zh ? "成立" : "upheld") : objection.outcome == .dismissed ? (zh ? "不成立" : "dismissed") : (zh ? "待处理" : "open")
                    print("  \(zh ? "异议" : "objection") \(objection.number) \(objection.filed) \(objection.filer)：\(objection.content) → \(outcome) \(objection.resolution)")
                }
            }
            if !life.handoverDue.isEmpty { print(zh ? "移交期限 \(life.handoverDue)" : "handover due \(life.handoverDue)") }
            if life.hasHandover {
                print(zh ? "移交 \(life.handover.date)：\(life.handover.fromParty) → \(life.handover.toParty)，\(life.handover.onTime ? "按期" : "逾期")"
                         : "handed over \(life.handover.date): \(life.handover.fromParty) → \(life.handover.toParty), \(life.handover.onTime ? "on time" : "late")")
            }
            for event in life.valuations {
                print("\(zh ? "价值" : "value") \(event.date) \(Names.valueBasis.name(of: event.kind.rawValue))：\(Format.yuan(event.valueFen)) \(event.basis)")
            }
        }
    }
}
