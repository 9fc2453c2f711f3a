// The records of life-cycle steps 9–12 (DOMAIN.md): income as received,
// distribution plans, yearly stock-takes, disposals (the write-off ledger)
// and revitalising plans. The rules they obey are in Income.swift,
// Distribution.swift and Disposal.swift; this file holds the records, the
// changes that make them, and the snapshot the services read.

/// Income 收益 recorded for an asset as received.
public struct IncomeRecord: Sendable, Hashable, Codable {
    /// "SY00000001", given by the store.
    public var id: String
    public var assetId: String
    /// The contract it was paid under; empty when none.
    public var contractId: String
    /// The admin unit whose account received it: the asset's unit (村财乡管).
    public var ownerCode: String
    public var receipt: IncomeReceipt
    public var note: String
    public var version: Int64
    public var createdAt: String

    /// A record; the store fills `id`, `ownerCode`, `version` and `createdAt`.
    public init(id: String = "", assetId: String, contractId: String = "", ownerCode: String = "", receipt: IncomeReceipt,
                note: String = "", version: Int64 = 0, createdAt: String = "") {
        self.id = id
        self.assetId = assetId
        self.contractId = contractId
        self.ownerCode = ownerCode
        self.receipt = receipt
        self.note = note
        self.version = version
        self.createdAt = createdAt
    }
}

/// One step of a distribution plan: what was done, when, and by whom.
public struct PlanStep: Sendable, Hashable, Codable {
    public var stage: PlanStage
    /// The day it happened (a civil date in China Standard Time).
    public var date: CivilDate
    /// The authenticated identity that recorded it.
    public var identity: String
    /// The person named in the call's `actor` metadata.
    public var actor: String
    /// The identity's immutable id (issue 20); nil on steps recorded before
    /// ids, or in local mode.
    public var personId: String?
    public var note: String
    /// When it was recorded (RFC 3339, UTC).
    public var recordedAt: String

    /// A step.
    public init(stage: PlanStage, date: CivilDate, identity: String = "", actor: String = "", personId: String? = nil, note: String = "",
                recordedAt: String = "") {
        self.personId = personId
        self.stage = stage
        self.date = date
        self.identity = identity
        self.actor = actor
        self.note = note
        self.recordedAt = recordedAt
    }
}

/// A distribution plan 收益分配方案 over specific income of one owner.
public struct DistributionPlan: Sendable, Hashable, Codable {
    /// "FP00000001", given by the store.
    public var id: String
    /// The village (or other unit) whose income it distributes.
    public var ownerCode: String
    public var title: String
    /// The income records it distributes; each in one plan only.
    public var incomeIds: [String]
    /// Their sum, filled by the store.
    public var incomeFen: Int64
    /// The earliest of their receipt days: the deadline counts from it (004 §31).
    public var incomeReceivedOn: CivilDate
    /// The day the plan must be carried out by.
    public var deadline: CivilDate
    public var allocations: [Allocation]
    public var stage: PlanStage
    /// The steps taken, the draft first.
    public var steps: [PlanStep]
    /// The assembly that passed it, once it has.
    /// What reached each household of the register when it was carried
    /// out (issue 23); nil before, and for plans that name households by text.
    public var payments: [HouseholdPayment]?
    public var assembly: AssemblyRecord?
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    /// A plan; the store fills the income figures, the deadline, the stage and the steps.
    public init(id: String = "", ownerCode: String, title: String = "", incomeIds: [String], incomeFen: Int64 = 0,
                incomeReceivedOn: CivilDate = CivilDate(year: 2000, month: 1, day: 1)!, deadline: CivilDate = CivilDate(year: 2000, month: 1, day: 1)!,
                allocations: [Allocation], stage: PlanStage = .draft, steps: [PlanStep] = [], assembly: AssemblyRecord? = nil,
                version: Int64 = 0, createdAt: String = "", updatedAt: String = "") {
        self.id = id
        self.ownerCode = ownerCode
        self.title = title
        self.incomeIds = incomeIds
        self.incomeFen = incomeFen
        self.incomeReceivedOn = incomeReceivedOn
        self.deadline = deadline
        self.allocations = allocations
        self.stage = stage
        self.steps = steps
        self.assembly = assembly
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The date of the last step taken.
    public var lastStepDate: CivilDate? { steps.last?.date }

    /// The steps a plan's approver takes: they need `plan.approve`, and
    /// another identity than the one that drafted the plan.
    public static let approvalStages: Set<PlanStage> = [.townshipApproved, .filed]

    /// The name of the identity that drafted the plan ("baima-clerk" of
    /// "baima-clerk (uid:1001)").
    public var drafter: String { Self.name(of: steps.first?.identity ?? "") }

    /// The name of the identity that recorded the plan's step `stage`, if taken.
    public func recorder(of stage: PlanStage) -> String? {
        steps.last { $0.stage == stage }.map { Self.name(of: $0.identity) }
    }

    /// Whether `identity` recorded `step`: by its id, or on a step recorded
    /// before ids, by its name.
    public static func took(_ step: PlanStep?, _ identity: SignOffDecider) -> Bool {
        guard let step else { return false }
        let name = Self.name(of: step.identity)
        // An implicit id (the name) binds by name too: see SignOffDecider.drafted.
        if let id = step.personId, id != name { return id == identity.id }
        return name == identity.name || name == identity.id
    }

    /// "baima-clerk" of "baima-clerk (uid:1001)".
    static func name(of identity: String) -> String {
        // No Foundation here: cut at the first " (".
        let scalars = Array(identity.unicodeScalars)
        for index in scalars.indices.dropLast() where scalars[index] == " " && scalars[index + 1] == "(" {
            return String(String.UnicodeScalarView(scalars[..<index]))
        }
        return identity
    }
}

/// A yearly stock-take 盘点 of one admin unit's assets (004 §23).
public struct StockTake: Sendable, Hashable, Codable {
    /// "PD00000001", given by the store.
    public var id: String
    public var adminCode: String
    public var year: Int
    public var openedOn: CivilDate
    /// The assets in scope: every asset of the unit's subtree not disposed of
    /// when the count opened, in id order.
    public var scope: [String]
    /// One line per asset counted, in the order recorded (a later line for
    /// the same asset replaces the earlier one).
    public var lines: [CountLine]
    /// What was found beyond the book (盘盈).
    public var surplus: [SurplusLine]
    public var closedOn: CivilDate?
    /// The "book equals reality" report, once closed.
    public var report: StockTakeReport?
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    /// A count; the store fills the scope, id, version and timestamps.
    public init(id: String = "", adminCode: String, year: Int, openedOn: CivilDate, scope: [String] = [], lines: [CountLine] = [],
                surplus: [SurplusLine] = [], closedOn: CivilDate? = nil, report: StockTakeReport? = nil, version: Int64 = 0,
                createdAt: String = "", updatedAt: String = "") {
        self.id = id
        self.adminCode = adminCode
        self.year = year
        self.openedOn = openedOn
        self.scope = scope
        self.lines = lines
        self.surplus = surplus
        self.closedOn = closedOn
        self.report = report
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether the count is still open.
    public var isOpen: Bool { closedOn == nil }
}

/// An entry of the write-off ledger 核销登记台账: a disposal and the asset as
/// it stood when it left the active ledger.
public struct DisposalEntry: Sendable, Hashable, Codable {
    /// "CZ00000001", given by the store.
    public var id: String
    public var assetId: String
    public var assetCode: String
    public var assetName: String
    public var adminCode: String
    public var category: AssetCategory
    public var originalValueFen: Int64
    public var netValueFen: Int64
    public var record: DisposalRecord
    /// The stock-take that found the asset lost, for reason stock_take_loss.
    public var stockTakeId: String
    /// With an access file: who drafted it and who decided it (SignOff.swift);
    /// nil: in effect at once. Only an entry in effect is in the write-off ledger.
    public var signOff: SignOff?
    /// A household asset's disposal as the village registered it (004 §27);
    /// nil for disposals through the appraisal and approvals.
    public var householdRegistration: HouseholdDisposalRegistration?
    public var version: Int64
    public var createdAt: String

    /// An entry; the store fills the asset's figures, id, version and time.
    public init(id: String = "", assetId: String, assetCode: String = "", assetName: String = "", adminCode: String = "",
                category: AssetCategory = .operating, originalValueFen: Int64 = 0, netValueFen: Int64 = 0,
                record: DisposalRecord, stockTakeId: String = "", version: Int64 = 0, createdAt: String = "") {
        self.id = id
        self.assetId = assetId
        self.assetCode = assetCode
        self.assetName = assetName
        self.adminCode = adminCode
        self.category = category
        self.originalValueFen = originalValueFen
        self.netValueFen = netValueFen
        self.record = record
        self.stockTakeId = stockTakeId
        self.version = version
        self.createdAt = createdAt
    }

    /// In the write-off ledger: approved, or needing no approval.
    public var isInEffect: Bool { signOff.map { $0.state == .approved } ?? true }
}

/// A plan to revitalise 盘活 an idle or loss-making asset. From the day it
/// takes effect the monitor no longer raises the asset's idle and loss alerts.
public struct RevitalisingPlan: Sendable, Hashable, Codable {
    /// "PH00000001", given by the store.
    public var id: String
    public var assetId: String
    /// What will be done (lease it out, change its use, repair…).
    public var measures: String
    /// Who is responsible.
    public var responsible: String
    /// Who approved it (the village assembly, the township…).
    public var approvedBy: String
    public var effectiveOn: CivilDate
    public var version: Int64
    public var createdAt: String

    /// How long a plan holds the alerts back: after a year the asset is
    /// judged again (a new plan, or it is back in use and profitable).
    public static let termMonths = 12

    /// The last day the plan holds the alerts back.
    public var reviewBy: CivilDate {
        let months = effectiveOn.year * 12 + (effectiveOn.month - 1) + RevitalisingPlan.termMonths
        let year = months / 12
        let month = months % 12 + 1
        return CivilDate(year: year, month: month, day: min(effectiveOn.day, CivilDate.daysIn(month: month, year: year))) ?? effectiveOn
    }

    /// A plan.
    public init(id: String = "", assetId: String, measures: String, responsible: String, approvedBy: String,
                effectiveOn: CivilDate, version: Int64 = 0, createdAt: String = "") {
        self.id = id
        self.assetId = assetId
        self.measures = measures
        self.responsible = responsible
        self.approvedBy = approvedBy
        self.effectiveOn = effectiveOn
        self.version = version
        self.createdAt = createdAt
    }
}

/// The kinds of stewardship record, as named in the store and the audit journal.
public enum StewardshipKind: String, Sendable, CaseIterable, Codable {
    case income
    case distributionPlan = "distribution_plan"
    case stockTake = "stock_take"
    case disposal
    case revitalisingPlan = "revitalising_plan"
    /// An alert and its follow-up (`AlertCase`, issue 20): kept and
    /// journaled like the records above, though it is no stewardship step.
    case alert
    /// A project's funds and milestones (`ProjectProgress`, issue 21): its
    /// id is the project's.
    case projectProgress = "project_progress"
    /// A township government or county department answering for projects,
    /// with its targets (`ResponsibleUnit`, issue 21).
    case responsibleUnit = "responsible_unit"
    /// The assessment of the entity proposed for a project before it starts
    /// (`ProjectAssessment`, issue 21).
    case assessment
    /// A payment out of a project's funds (`DisbursementRecord`, issue 21).
    case disbursement
    /// A household of the beneficiary register (`Household`, issue 23).
    case household
    /// A visit to a household 巡问查比 (`HouseholdVisit`, issue 23).
    case visit
    /// An entry of an asset's upkeep log 管护记录 (`UpkeepRecord`, issue 23).
    case upkeep

    /// The prefix of the kind's identifiers.
    public var idPrefix: String {
        switch self {
        case .income: return "SY"
        case .distributionPlan: return "FP"
        case .stockTake: return "PD"
        case .disposal: return "CZ"
        case .revitalisingPlan: return "PH"
        case .alert: return "YJ"
        case .projectProgress: return ""
        case .responsibleUnit: return "DW"
        case .assessment: return "PG"
        case .disbursement: return "ZF"
        case .household: return "HH"
        case .visit: return "XF"
        case .upkeep: return "GH"
        }
    }

    /// The identifier of the kind's `number`th record.
    public func id(_ number: Int) -> String { OperationsIdentifiers.make(idPrefix, number) }
}

/// One stewardship record of any kind.
public enum StewardshipRecord: Sendable, Hashable {
    case income(IncomeRecord)
    case plan(DistributionPlan)
    case stockTake(StockTake)
    case disposal(DisposalEntry)
    case revitalising(RevitalisingPlan)
    case alert(AlertCase)
    case progress(ProjectProgress)
    case unit(ResponsibleUnit)
    case assessment(ProjectAssessment)
    case disbursement(DisbursementRecord)
    case household(Household)
    case visit(HouseholdVisit)
    case upkeep(UpkeepRecord)

    public var kind: StewardshipKind {
        switch self {
        case .income: return .income
        case .plan: return .distributionPlan
        case .stockTake: return .stockTake
        case .disposal: return .disposal
        case .revitalising: return .revitalisingPlan
        case .alert: return .alert
        case .progress: return .projectProgress
        case .unit: return .responsibleUnit
        case .assessment: return .assessment
        case .disbursement: return .disbursement
        case .household: return .household
        case .visit: return .visit
        case .upkeep: return .upkeep
        }
    }

    public var id: String {
        switch self {
        case .income(let record): return record.id
        case .plan(let record): return record.id
        case .stockTake(let record): return record.id
        case .disposal(let record): return record.id
        case .revitalising(let record): return record.id
        case .alert(let record): return record.id
        case .progress(let record): return record.id
        case .unit(let record): return record.id
        case .assessment(let record): return record.id
        case .disbursement(let record): return record.id
        case .household(let record): return record.id
        case .visit(let record): return record.id
        case .upkeep(let record): return record.id
        }
    }

    public var version: Int64 {
        switch self {
        case .income(let record): return record.version
        case .plan(let record): return record.version
        case .stockTake(let record): return record.version
        case .disposal(let record): return record.version
        case .revitalising(let record): return record.version
        case .alert(let record): return record.version
        case .progress(let record): return record.version
        case .unit(let record): return record.version
        case .assessment(let record): return record.version
        case .disbursement(let record): return record.version
        case .household(let record): return record.version
        case .visit(let record): return record.version
        case .upkeep(let record): return record.version
        }
    }
}

/// A change to the stewardship records, checked by the store at commit
/// time against the records it depends on.
public enum StewardshipChange: Sendable {
    /// Income as received; the asset (and contract, when named) must exist.
    case recordIncome(IncomeRecord)
    /// A new plan in draft over its income, drafted on `draftedOn`.
    case createPlan(DistributionPlan, draftedOn: CivilDate, note: String)
    /// The plan's next step. `approver`, for the approval steps, names the
    /// identity that must not be the one that drafted the plan (separation
    /// of duties); nil: not checked (local mode has one user).
    /// Carried out (`to` carried_out), `payments` are what reached each household of the register it pays.
    case advancePlan(planId: String, to: PlanStage, on: CivilDate, note: String, assembly: AssemblyRecord?, approver: SignOffDecider?, expectedVersion: Int64,
                     payments: [HouseholdPayment] = [])
    /// A count of `adminCode`'s subtree for `year`.
    case openStockTake(adminCode: String, year: Int, on: CivilDate)
    /// Lines (replacing earlier lines of the same assets) and surplus for an open count.
    case recordCount(stockTakeId: String, lines: [CountLine], surplus: [SurplusLine], expectedVersion: Int64)
    /// Closes a count once every asset in scope has a line.
    case closeStockTake(stockTakeId: String, on: CivilDate, expectedVersion: Int64)
    /// Disposes of an asset: an entry in the write-off ledger and the asset out of the active ledger.
    /// `policy` values the asset on the disposal's day for the entry.
    /// `drafter`: with an access file, the identity whose draft waits for
    /// ApproveDisposal (the asset stays until then); nil: in effect at once.
    case dispose(assetId: String, record: DisposalRecord, stockTakeId: String, policy: DepreciationPolicy, expectedVersion: Int64,
                 drafter: SignOffDecider? = nil)
    /// Approves (the asset leaves the active ledger) or rejects a drafted disposal.
    case decideDisposal(disposalId: String, decision: SignOffDecision, on: CivilDate, note: String, decider: SignOffDecider,
                        expectedVersion: Int64)
    /// A revitalising plan for an idle or loss-making asset.
    case recordRevitalisingPlan(RevitalisingPlan)
    /// The risk monitor's events taken into the alerts' ledger records.
    case observeAlerts([ObservedAlertEvent])
    /// A person's step in an alert's follow-up (`alertId`: "YJ00000042").
    case followUp(alertId: String, command: FollowUpCommand, expectedVersion: Int64)
    /// The daemon's escalations of overdue follow-ups.
    case escalateAlerts([AlertEscalationOrder])
    /// A new responsible unit (`id` empty) or new details of one (its
    /// targets are kept: `setTargets` changes them).
    case registerUnit(ResponsibleUnit, expectedVersion: Int64)
    /// A unit's targets for a year: set, or changed with a reason.
    case setTargets(unitId: String, year: Int, quarters: [QuarterTarget], on: CivilDate, reason: String, expectedVersion: Int64)
    /// A milestone of a project reached; the approval names the responsible unit.
    case recordMilestone(projectId: String, entry: MilestoneEntry, unitId: String)
    /// Money allocated to a project.
    case recordAllocation(projectId: String, FundAllocation)
    /// Money paid out of a project's funds.
    case recordDisbursement(projectId: String, FundDisbursement)
    /// The daemon's judgements of ended quarters (each unit's quarter once).
    case judgeQuarters([QuarterJudgement])
    /// The assessment of the entity proposed for a project not yet started;
    /// weak when its total is under `weakBelow`.
    case assessProject(ProjectAssessment, weakBelow: Int)
    /// A household entering the register of its village (`id` empty); its
    /// numbers sealed with `key`.
    case registerHousehold(HouseholdEntry, key: PersonalDataKey)
    /// A household's entry changed, with the day and the reason.
    case updateHousehold(HouseholdEntry, key: PersonalDataKey, expectedVersion: Int64)
    /// A visit to a household about a plan's payment (巡问查比).
    case recordVisit(HouseholdVisit)
    /// Households registered together (an import): all or none.
    case registerHouseholds([HouseholdEntry], key: PersonalDataKey, validateOnly: Bool)
    /// An entry of an asset's upkeep log.
    case recordUpkeep(UpkeepRecord)
    /// The village registers the disposal of a household asset (004 §27):
    /// in effect at once, no appraisal, no approvals.
    case registerHouseholdDisposal(assetId: String, record: DisposalRecord, registration: HouseholdDisposalRegistration, stockTakeId: String,
                                   policy: DepreciationPolicy, expectedVersion: Int64)
}

/// Limits on stewardship records.
public enum StewardshipLimits {
    /// Assets in one count's scope: a county counts township by township.
    public static let stockTakeScopeMax = 20_000
    /// Lines or surplus lines in one RecordCount call.
    public static let countLinesPerCallMax = 2_000
    /// Income records in one plan.
    public static let planIncomeMax = 500
    /// Allocations in one plan, and households in one allocation.
    public static let planAllocationsMax = 20
    public static let allocationHouseholdsMax = 5_000
    /// Approvals on one disposal.
    public static let approvalsMax = 10
    /// UTF-8 bytes of a name, a condition or an id (free text such as notes
    /// and measures takes `RecordLimits.textMaxBytes`).
    public static let nameMaxBytes = 150
}

/// Which stewardship records a listing returns: one kind, and what its
/// rows' columns can answer (the store filters by its indexes).
public struct StewardshipFilter: Sendable, Hashable {
    public var kind: StewardshipKind
    /// The unit and everything under it: the record's owner or unit (an
    /// income's, a plan's, a count's, a disposal's), or for a revitalising
    /// plan the unit its asset lies in now; "" for every unit.
    public var adminCode = ""
    /// `adminCode` names the unit alone, not what lies under it.
    public var unitOnly = false
    public var assetId = ""
    public var contractId = ""
    /// A count's year, a disposal's year (0: any).
    public var year = 0
    /// The state column in one of these (nil: any): a plan's stage, a
    /// disposal's sign-off ("" when it needs none), a count's "open" or
    /// "closed".
    public var states: [String]?
    /// Only income no plan distributes.
    public var undistributedOnly = false
    /// Only records whose day column is before this: a plan's deadline.
    public var dayBefore: CivilDate?

    public init(_ kind: StewardshipKind, adminCode: String = "", assetId: String = "", contractId: String = "", year: Int = 0,
                states: [String]? = nil, undistributedOnly: Bool = false, dayBefore: CivilDate? = nil) {
        self.kind = kind
        self.adminCode = adminCode
        self.assetId = assetId
        self.contractId = contractId
        self.year = year
        self.states = states
        self.undistributedOnly = undistributedOnly
        self.dayBefore = dayBefore
    }
}

/// A page of stewardship records, in id order.
public struct StewardshipPage: Sendable {
    public var records: [StewardshipRecord]
    /// The id to page on from; nil when this page is the last.
    public var nextAfter: String?
    /// How many records the filter admits.
    public var total: Int
    /// Their amounts added up: income's fen, a disposal's proceeds.
    public var amountFen: Int64

    public init(records: [StewardshipRecord], nextAfter: String?, total: Int, amountFen: Int64) {
        self.records = records
        self.nextAfter = nextAfter
        self.total = total
        self.amountFen = amountFen
    }
}

extension RevitalisingPlan {
    /// The plan in effect on `day` of an asset's `plans` (oldest first), if
    /// any: the latest that took effect within the last `termMonths`.
    public static func inEffect(_ plans: [RevitalisingPlan], on day: CivilDate) -> RevitalisingPlan? {
        plans.filter { $0.effectiveOn <= day && day <= $0.reviewBy }.last
    }
}

extension StockTake {
    /// The day each asset was found by this count, when it is closed: only
    /// what was found counts as counted (a loss is for disposal).
    public var counted: [(assetId: String, on: CivilDate)] {
        guard let closed = closedOn else { return [] }
        return lines.filter(\.found).map { ($0.assetId, closed) }
    }
}
