// The asset's life cycle (DOMAIN.md "Life cycle", steps 1–8): the stage it
// has reached and the dated record of how it got there: ownership
// confirmation, publications with their objections, handover, the moment it
// went into service, and every valuation. Steps 9–12 (income, stock-taking,
// disposal, revitalising) add stages after `inOperation`/`inUse`.

/// Where an asset stands in its life cycle.
public enum AssetStage: String, Sendable, Codable, CaseIterable {
    /// 已登记: registered in the inventory 清产核资 (step 1).
    case registered
    /// 已确权: owners and shares confirmed (004 §10–14).
    case ownershipConfirmed = "ownership_confirmed"
    /// 确权公示中: the confirmation is on public notice (004 §15).
    case underPublication = "under_publication"
    /// 已公示: the notice closed without unresolved objections; handover is due.
    case published
    /// 移交公示中: handed over; the handover is on public notice (004 §19).
    case handoverPublication = "handover_publication"
    /// 已移交: the handover notice closed.
    case handedOver = "handed_over"
    /// 运营中: operated under a contract or by its owner (000 (八), 001 (六)).
    case inOperation = "in_operation"
    /// 使用中: in use (public-welfare and household assets).
    case inUse = "in_use"
    /// 已处置: disposed of (004 §24–27); out of the active ledger, its
    /// history kept, with an entry in the write-off ledger 核销登记台账.
    case disposed

    /// The stage's name as county staff say it.
    public var chineseName: String {
        switch self {
        case .registered: return "已登记"
        case .ownershipConfirmed: return "已确权"
        case .underPublication: return "确权公示中"
        case .published: return "已公示"
        case .handoverPublication: return "移交公示中"
        case .handedOver: return "已移交"
        case .inOperation: return "运营中"
        case .inUse: return "使用中"
        case .disposed: return "已处置"
        }
    }
}

/// Which notice a publication is.
public enum PublicationKind: String, Sendable, Codable, CaseIterable {
    /// 确权公示: at least 7 working days (004 §15).
    case ownership
    /// 移交公示: 10 working days (004 §19).
    case handover

    /// The working days the notice must run.
    public var minimumWorkingDays: Int {
        switch self {
        case .ownership: return 7
        case .handover: return 10
        }
    }
}

/// How an objection was settled.
public enum ObjectionOutcome: String, Sendable, Codable, CaseIterable {
    /// 异议成立: the record is corrected and the notice starts again.
    case upheld
    /// 异议不成立: the reason is recorded.
    case dismissed
}

/// An objection 异议 raised while a notice is up (001 三(二)4).
public struct Objection: Sendable, Hashable, Codable {
    /// Numbered from 1 per asset.
    public var number: Int
    public var filed: CivilDate
    public var filer: String
    public var content: String
    public var outcome: ObjectionOutcome?
    public var resolved: CivilDate?
    public var resolution: String

    /// An objection, open until resolved.
    public init(number: Int, filed: CivilDate, filer: String, content: String,
                outcome: ObjectionOutcome? = nil, resolved: CivilDate? = nil, resolution: String = "") {
        self.number = number
        self.filed = filed
        self.filer = filer
        self.content = content
        self.outcome = outcome
        self.resolved = resolved
        self.resolution = resolution
    }
}

/// One public notice 公示 and what happened while it was up.
public struct Publication: Sendable, Hashable, Codable {
    public var kind: PublicationKind
    /// 1 for the first notice of its kind, +1 each time it restarts.
    public var round: Int
    public var start: CivilDate
    /// The first day it may close: `kind.minimumWorkingDays` working days after `start`.
    public var earliestClose: CivilDate
    /// Whether `earliestClose` counted days of a year with no official calendar.
    public var provisional: Bool
    /// When it closed; nil while it is up or when it was restarted.
    public var closed: CivilDate?
    /// When an upheld objection restarted it (a new round follows).
    public var restarted: CivilDate?
    public var objections: [Objection]

    /// A notice.
    public init(kind: PublicationKind, round: Int, start: CivilDate, earliestClose: CivilDate, provisional: Bool,
                closed: CivilDate? = nil, restarted: CivilDate? = nil, objections: [Objection] = []) {
        self.kind = kind
        self.round = round
        self.start = start
        self.earliestClose = earliestClose
        self.provisional = provisional
        self.closed = closed
        self.restarted = restarted
        self.objections = objections
    }

    /// Up: neither closed nor restarted.
    public var isOpen: Bool { closed == nil && restarted == nil }
}

/// The confirmation of ownership 确权 (004 §10–14).
public struct OwnershipConfirmation: Sendable, Hashable, Codable {
    public var date: CivilDate
    /// The article the default owners came from, e.g. "004 §11".
    public var rule: String
    /// The owners the rules proposed (empty when they propose none).
    public var proposed: [Owner]
    /// Why the confirmed owners differ from the proposal; empty when they do not.
    public var overrideReason: String
    /// With an access file: who drafted it and who decided it (SignOff.swift);
    /// nil: in effect at once.
    public var signOff: SignOff?
    /// With a sign-off: the owners drafted. They become the asset's owners
    /// only when approved; until then (and after a rejection) the asset keeps
    /// the owners it had. Empty without a sign-off.
    public var owners: [Owner]
    /// Owners corrected by an upheld objection while the notice is up, when
    /// another identity must approve them (with an access file).
    public var correction: OwnershipCorrection?

    /// A confirmation record.
    public init(date: CivilDate, rule: String, proposed: [Owner], overrideReason: String, signOff: SignOff? = nil, owners: [Owner] = [],
                correction: OwnershipCorrection? = nil) {
        self.date = date
        self.rule = rule
        self.proposed = proposed
        self.overrideReason = overrideReason
        self.signOff = signOff
        self.owners = owners
        self.correction = correction
    }

    private enum CodingKeys: String, CodingKey {
        case date, rule, proposed, overrideReason, signOff, owners, correction
    }

    /// Records written before sign-offs have no `owners`, `signOff` or `correction`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        date = try container.decode(CivilDate.self, forKey: .date)
        rule = try container.decode(String.self, forKey: .rule)
        proposed = try container.decode([Owner].self, forKey: .proposed)
        overrideReason = try container.decode(String.self, forKey: .overrideReason)
        signOff = try container.decodeIfPresent(SignOff.self, forKey: .signOff)
        owners = try container.decodeIfPresent([Owner].self, forKey: .owners) ?? []
        correction = try container.decodeIfPresent(OwnershipCorrection.self, forKey: .correction)
    }

    /// Whether a confirmation or a correction of it waits for a decision.
    public var awaitsDecision: Bool { signOff?.state == .pending || correction?.signOff.state == .pending }
}

/// Owners an upheld objection corrected, waiting for another identity's decision.
public struct OwnershipCorrection: Sendable, Hashable, Codable {
    public var owners: [Owner]
    public var signOff: SignOff

    public init(owners: [Owner], signOff: SignOff) {
        self.owners = owners
        self.signOff = signOff
    }
}

/// The handover 移交 from the implementing unit to the owner (004 §15, §19).
public struct Handover: Sendable, Hashable, Codable {
    public var date: CivilDate
    /// 移交方: usually the implementing unit.
    public var fromParty: String
    /// 接收方: the owner, or its custodian.
    public var toParty: String
    /// The dossier handed over (资产档案材料).
    public var documents: [Document]
    /// 后续管护责任: the upkeep duties the receiver takes on.
    public var upkeepDuties: String
    /// Whether it happened by the deadline (30 working days after the notice closed).
    public var onTime: Bool

    /// A handover record.
    public init(date: CivilDate, fromParty: String, toParty: String, documents: [Document], upkeepDuties: String, onTime: Bool) {
        self.date = date
        self.fromParty = fromParty
        self.toParty = toParty
        self.documents = documents
        self.upkeepDuties = upkeepDuties
        self.onTime = onTime
    }
}

/// How a value was determined (004 §16).
public enum ValuationKind: String, Sendable, Codable, CaseIterable {
    /// 外购: price, taxes and costs to put in use (§16.1).
    case purchase
    /// 竣工决算: audited final accounts of a self-built asset (§16.2).
    case finalAccounts = "final_accounts"
    /// 暂估: provisional value until final accounts exist (§16.2).
    case provisional
    /// 评估: appraisal (non-cash investment §16.3, stock-take surplus §16.4).
    case appraisal
    /// 重置成本: replacement cost of an unappraised surplus (§16.4).
    case replacementCost = "replacement_cost"
    /// 改扩建: old value + spend − replaced part (§16.5).
    case renovation

    /// The kind's name as county staff say it.
    public var chineseName: String {
        switch self {
        case .purchase: return "外购"
        case .finalAccounts: return "竣工决算"
        case .provisional: return "暂估"
        case .appraisal: return "评估"
        case .replacementCost: return "重置成本"
        case .renovation: return "改扩建"
        }
    }
}

/// A dated change of the asset's book value. The first is its value at registration.
public struct ValuationEvent: Sendable, Hashable, Codable {
    public var kind: ValuationKind
    /// From when the value holds.
    public var date: CivilDate
    /// The book value from `date` on.
    public var valueFen: Int64
    /// Renovation only: what was spent.
    public var spendFen: Int64
    /// Renovation only: the value of the parts replaced.
    public var replacedFen: Int64
    /// What the value rests on: the audit report, the appraiser, the invoice.
    public var basis: String

    /// A valuation event.
    public init(kind: ValuationKind, date: CivilDate, valueFen: Int64, spendFen: Int64 = 0, replacedFen: Int64 = 0, basis: String = "") {
        self.kind = kind
        self.date = date
        self.valueFen = valueFen
        self.spendFen = spendFen
        self.replacedFen = replacedFen
        self.basis = basis
    }
}

/// The asset's life-cycle record.
public struct Lifecycle: Sendable, Hashable, Codable {
    public var stage: AssetStage
    public var ownership: OwnershipConfirmation?
    /// Every notice, oldest first; the open one, if any, is last.
    public var publications: [Publication]
    /// 30 working days after the ownership notice closed (004 §15).
    public var handoverDue: CivilDate?
    public var handoverDueProvisional: Bool
    public var handover: Handover?
    /// When it went into operation or use.
    public var inServiceSince: CivilDate?
    /// Every value the asset has had, oldest first; never empty once registered.
    public var valuations: [ValuationEvent]
    /// The last objection number given out.
    public var objectionCount: Int
    /// When it was disposed of, and the write-off ledger's entry.
    public var disposedOn: CivilDate?
    public var disposalId: String

    /// A record at `stage`.
    public init(stage: AssetStage = .registered, ownership: OwnershipConfirmation? = nil, publications: [Publication] = [],
                handoverDue: CivilDate? = nil, handoverDueProvisional: Bool = false, handover: Handover? = nil,
                inServiceSince: CivilDate? = nil, valuations: [ValuationEvent] = [], objectionCount: Int = 0) {
        self.stage = stage
        self.ownership = ownership
        self.publications = publications
        self.handoverDue = handoverDue
        self.handoverDueProvisional = handoverDueProvisional
        self.handover = handover
        self.inServiceSince = inServiceSince
        self.valuations = valuations
        self.objectionCount = objectionCount
        self.disposedOn = nil
        self.disposalId = ""
    }

    /// The notice that is up, if any.
    public var openPublication: Publication? {
        guard let last = publications.last, last.isOpen else { return nil }
        return last
    }

    /// How the current value was determined (`finalAccounts` when unknown).
    public var valueBasis: ValuationKind {
        valuations.last(where: { $0.kind != .renovation })?.kind ?? .finalAccounts
    }
}
