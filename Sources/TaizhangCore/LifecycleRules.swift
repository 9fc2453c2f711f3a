// The life-cycle transitions as one pure function: an asset and an action
// in, the changed asset out, or the reason it may not happen. The store
// calls it at commit time against the committed asset, so two concurrent
// transitions of one asset are applied one after the other.

/// A step of the life cycle, with what the caller supplied.
public enum LifecycleAction: Sendable, Hashable {
    /// 确权 (004 §10–14). Empty `owners`: take the proposal (or, when the
    /// rules propose none, the owners given at registration).
    /// `drafter`: the identity whose confirmation waits for another's
    /// decision (with an access file); nil: in effect at once (local mode).
    case confirmOwnership(owners: [Owner], date: CivilDate, overrideReason: String, proposal: OwnershipProposal, drafter: SignOffDecider? = nil)
    /// Approves or rejects a confirmation that waits for a decision.
    case decideOwnership(decision: SignOffDecision, date: CivilDate, note: String, decider: SignOffDecider)
    /// 确权公示 opens (004 §15).
    case openPublication(start: CivilDate)
    /// An objection to the open notice (001 三(二)4).
    case fileObjection(filed: CivilDate, filer: String, content: String)
    /// Settles an objection. Upheld: `correctedOwners` (ownership notice
    /// only, optional) replace the owners and the notice starts again on
    /// `restart` (default: `date`). Dismissed: `resolution` says why.
    /// `drafter` (with an access file): corrected owners wait for another
    /// identity's ApproveOwnership, and the notice cannot close until then.
    case resolveObjection(number: Int, outcome: ObjectionOutcome, date: CivilDate, resolution: String,
                          correctedOwners: [Owner], restart: CivilDate?, drafter: SignOffDecider? = nil)
    /// Closes the open notice.
    case closePublication(date: CivilDate)
    /// 移交 (004 §15, §19); its notice starts on `noticeStart` (default: `date`).
    case recordHandover(date: CivilDate, fromParty: String, toParty: String, documents: [Document],
                        upkeepDuties: String, noticeStart: CivilDate?)
    /// Hands the asset to its operator under `operation` (000 (八), 001 (六)).
    case handOffOperation(operation: Operation, date: CivilDate)
    /// Puts the asset into use.
    case putInUse(date: CivilDate)
    /// A new book value (004 §16); `funding` is the composition of the new value.
    case recordValuation(kind: ValuationKind, date: CivilDate, valueFen: Int64, spendFen: Int64, replacedFen: Int64,
                         basis: String, funding: [Funding])

    /// The call's name, for messages.
    public var name: String {
        switch self {
        case .confirmOwnership: return "ConfirmOwnership"
        case .decideOwnership: return "ApproveOwnership"
        case .openPublication: return "OpenPublication"
        case .fileObjection: return "FileObjection"
        case .resolveObjection: return "ResolveObjection"
        case .closePublication: return "ClosePublication"
        case .recordHandover: return "RecordHandover"
        case .handOffOperation: return "HandOffOperation"
        case .putInUse: return "PutInUse"
        case .recordValuation: return "RecordValuation"
        }
    }

    /// Whether the step can change the asset's value or owners (held back
    /// while a disposal of it awaits approval).
    public var changesValueOrOwners: Bool {
        switch self {
        case .recordValuation, .confirmOwnership: return true
        case .decideOwnership(let decision, _, _, _): return decision == .approve
        case .resolveObjection(_, _, _, _, let corrected, _, _): return !corrected.isEmpty
        default: return false
        }
    }

    /// Fills in who drafts or decides, from the authenticated caller.
    public mutating func sign(_ caller: SignOffDecider) {
        switch self {
        case .confirmOwnership(let owners, let date, let reason, let proposal, _):
            self = .confirmOwnership(owners: owners, date: date, overrideReason: reason, proposal: proposal, drafter: caller.separated ? caller : nil)
        case .decideOwnership(let decision, let date, let note, _):
            self = .decideOwnership(decision: decision, date: date, note: note, decider: caller)
        case .resolveObjection(let number, let outcome, let date, let resolution, let corrected, let restart, _):
            self = .resolveObjection(number: number, outcome: outcome, date: date, resolution: resolution, correctedOwners: corrected,
                                     restart: restart, drafter: caller.separated ? caller : nil)
        default:
            break
        }
    }
}

/// The transition rules.
public enum LifecycleRules {
    /// Ends the open notice's round on `restarted` and opens the next from
    /// `start`, for its full period; objections still open move to it.
    static func restartNotice(_ life: inout Lifecycle, restarted: CivilDate, from start: CivilDate, calendar: WorkingDayCalendar) {
        let index = life.publications.count - 1
        var old = life.publications[index]
        let carried = old.objections.filter { $0.outcome == nil }
        old.objections.removeAll { $0.outcome == nil }
        old.restarted = restarted
        life.publications[index] = old
        let close = calendar.adding(workingDays: old.kind.minimumWorkingDays, to: start)
        life.publications.append(Publication(kind: old.kind, round: old.round + 1, start: start, earliestClose: close.date,
                                             provisional: close.provisional, objections: carried))
    }

    /// The valuation an asset starts with: its registered value from its acquisition date.
    public static func initialValuation(of asset: Asset, kind: ValuationKind) -> ValuationEvent {
        ValuationEvent(kind: kind, date: asset.acquiredDate, valueFen: asset.originalValueFen)
    }

    /// Applies `action` to `asset`.
    /// - Parameters:
    ///   - today: the current civil date in China Standard Time; events may not be dated later.
    /// - Throws: `LedgerError` FAILED_PRECONDITION when the asset's stage does
    ///   not allow the step (naming the stage and what must happen first);
    ///   INVALID_ARGUMENT listing every bad field.
    ///   - policy: the depreciation policy (a new value may not fall below the depreciation already charged).
    public static func apply(_ action: LifecycleAction, to asset: Asset, calendar: WorkingDayCalendar, today: CivilDate,
                             policy: DepreciationPolicy = DepreciationPolicy()) throws -> Asset {
        if asset.lifecycle.stage == .disposed {
            throw LedgerError(.failedPrecondition, "\(action.name) is not possible: asset \(asset.id) is disposed of (已处置); it is out of the active ledger and its record no longer changes")
        }
        var step = LifecycleStep(action: action, asset: asset, calendar: calendar, today: today, policy: policy)
        return try step.apply()
    }

    /// What must happen before an asset at `stage` reaches `target`.
    static func stageHint(_ stage: AssetStage, target: AssetStage) -> String {
        switch stage {
        case .registered: return "confirm its ownership (ConfirmOwnership), publish it (OpenPublication) and close the notice (ClosePublication) first"
        case .ownershipConfirmed: return "open its ownership notice (OpenPublication) and close it (ClosePublication) first"
        case .underPublication: return "close its ownership notice first (ClosePublication; it needs 7 working days and no open objection)"
        case .published: return target == .handedOver ? "record the handover (RecordHandover) and close its notice first" : "record the handover first (RecordHandover)"
        case .handoverPublication: return "close the handover notice first (ClosePublication; it needs 10 working days and no open objection)"
        case .handedOver: return "it is handed over; hand it to its operator (HandOffOperation) or put it in use (PutInUse)"
        case .inOperation, .inUse: return "it is already in service"
        case .disposed: return "it is disposed of; its record no longer changes"
        }
    }
}
