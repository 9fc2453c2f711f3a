// One life-cycle step in progress (LifecycleRules.apply): the asset, its
// life cycle, and the bad fields found so far; one method per step, each a
// pure function of the asset, the action, the calendar and today's date.

/// A step being checked and applied to one asset.
struct LifecycleStep {
    let action: LifecycleAction
    var asset: Asset
    var life: Lifecycle
    let stage: AssetStage
    var bad: [FieldViolation] = []
    let calendar: WorkingDayCalendar
    let today: CivilDate
    let policy: DepreciationPolicy

    init(action: LifecycleAction, asset: Asset, calendar: WorkingDayCalendar, today: CivilDate, policy: DepreciationPolicy) {
        self.action = action
        self.asset = asset
        life = asset.lifecycle
        stage = asset.lifecycle.stage
        self.calendar = calendar
        self.today = today
        self.policy = policy
    }

    /// The asset after the step, or why it is refused.
    mutating func apply() throws -> Asset {
        switch action {
        case .confirmOwnership(let given, let date, let overrideReason, let proposal, let drafter):
            return try confirmOwnership(given, date, overrideReason, proposal, drafter)
        case .decideOwnership(let decision, let date, let note, let decider):
            return try decideOwnership(decision, date, note, decider)
        case .openPublication(let start):
            return try openPublication(start)
        case .fileObjection(let filed, let filer, let content):
            return try fileObjection(filed, filer, content)
        case .resolveObjection(let number, let outcome, let date, let resolution, let corrected, let restart, let drafter):
            return try resolveObjection(number, outcome, date, resolution, corrected, restart, drafter)
        case .closePublication(let date):
            return try closePublication(date)
        case .recordHandover(let date, let fromParty, let toParty, let documents, let duties, let noticeStart):
            return try recordHandover(date, fromParty, toParty, documents, duties, noticeStart)
        case .handOffOperation(let operation, let date):
            return try handOffOperation(operation, date)
        case .putInUse(let date):
            return try putInUse(date)
        case .recordValuation(let kind, let date, let valueFen, let spendFen, let replacedFen, let basis, let funding):
            return try recordValuation(kind, date, valueFen, spendFen, replacedFen, basis, funding)
        }
    }


    mutating func notFuture(_ date: CivilDate, _ field: String) {
        if date > today { bad.append(.init(field: field, description: "is \(date), after today (\(today)); record events once they happen")) }
    }
    mutating func notBefore(_ date: CivilDate, _ earlier: CivilDate?, _ what: String, _ field: String) {
        if let earlier, date < earlier { bad.append(.init(field: field, description: "is \(date), before \(what) (\(earlier))")) }
    }
    func require(_ allowed: Set<AssetStage>, _ firstStep: String) throws {
        guard allowed.contains(stage) else {
            throw LedgerError(.failedPrecondition,
                "\(action.name) is not possible: asset \(asset.id) is at stage \(stage.rawValue) (\(stage.chineseName)); \(firstStep)")
        }
    }
    /// Stops before any deadline arithmetic when a date is already wrong.
    func checkDates() throws {
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: action.name) }
    }
    mutating func finish() throws -> Asset {
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: action.name) }
        asset.lifecycle = life
        return asset
    }

    mutating func confirmOwnership(_ given: [Owner], _ date: CivilDate, _ overrideReason: String, _ proposal: OwnershipProposal, _ drafter: SignOffDecider?) throws -> Asset {
        try require([.registered, .ownershipConfirmed], "ownership is confirmed before its notice opens; once it is on notice, correct it through an upheld objection")
        notFuture(date, "date")
        bad += TextRules.optional(overrideReason, field: "override_reason")
        var owners = given
        if owners.isEmpty { owners = proposal.owners.isEmpty ? asset.owners : proposal.owners }
        if owners.isEmpty {
            bad.append(.init(field: "owners", description: "the rules propose no owner (\(proposal.rule): \(proposal.explanation)); give the owners and their shares"))
        } else {
            bad += AssetRules.validateOwners(owners)
        }
        let differs = !proposal.owners.isEmpty && !OwnershipRules.sameOwners(owners, proposal.owners)
        if differs, overrideReason.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            bad.append(.init(field: "override_reason", description: "is required: the owners differ from what \(proposal.rule) proposes (\(proposal.owners.map { "\($0.name) \(AssetRules.percent($0.shareBasisPoints))" }.joined(separator: ", "))); say why"))
        }
        // A draft's owners wait in the confirmation until approved.
        if drafter == nil { asset.owners = owners }
        life.ownership = OwnershipConfirmation(date: date, rule: proposal.owners.isEmpty ? (given.isEmpty ? "registered" : "agreement") : proposal.rule,
                                               proposed: proposal.owners, overrideReason: differs ? overrideReason : "",
                                               signOff: drafter?.draft, owners: drafter == nil ? [] : owners)
        life.stage = .ownershipConfirmed
        return try finish()
    }

    mutating func decideOwnership(_ decision: SignOffDecision, _ date: CivilDate, _ note: String, _ decider: SignOffDecider) throws -> Asset {
        // A confirmation before its notice, or owners corrected by an upheld objection while the notice is up.
        try require([.ownershipConfirmed, .underPublication], stage == .registered ? "confirm its ownership first (ConfirmOwnership)" : "its ownership notice has closed")
        guard let confirmation = life.ownership else {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) has no ownership confirmation to decide")
        }
        if stage == .ownershipConfirmed {
            let decided = try SignOffRules.decide(confirmation.signOff, decision, by: decider, on: date, note: note,
                                                  what: "the ownership confirmation of asset \(asset.id)", earliest: confirmation.date, today: today)
            life.ownership?.signOff = decided
            if decided.state == .approved, !confirmation.owners.isEmpty { asset.owners = confirmation.owners }
            return try finish()
        }
        guard let correction = confirmation.correction else {
            throw LedgerError(.failedPrecondition, "the ownership notice of asset \(asset.id) has no corrected owners awaiting a decision")
        }
        let index = life.publications.count - 1
        // Not before anything recorded on the round it may restart.
        let round = life.publications[index]
        let earliest = ([round.start] + round.objections.flatMap { [$0.filed] + ($0.resolved.map { [$0] } ?? []) }).max() ?? round.start
        let decided = try SignOffRules.decide(correction.signOff, decision, by: decider, on: date, note: note,
                                              what: "the owners corrected on the notice of asset \(asset.id)",
                                              earliest: earliest, today: today)
        life.ownership?.correction?.signOff = decided
        if decided.state == .approved {
            asset.owners = correction.owners
            // The approved owners are published for the whole period from now.
            LifecycleRules.restartNotice(&life, restarted: date, from: date, calendar: calendar)
        }
        return try finish()
    }

    mutating func openPublication(_ start: CivilDate) throws -> Asset {
        try require([.ownershipConfirmed], stage == .registered ? "confirm its ownership first (ConfirmOwnership)" : "its ownership notice has already opened")
        if let reason = SignOffRules.notInEffect(life.ownership?.signOff, what: "the ownership confirmation of asset \(asset.id)",
                                                 approving: "ApproveOwnership", redraft: "ConfirmOwnership") {
            throw LedgerError(.failedPrecondition, "OpenPublication is not possible: \(reason)")
        }
        notBefore(start, life.ownership?.date, "the ownership confirmation", "start")
        notFuture(start, "start")
        try checkDates()
        let close = calendar.adding(workingDays: PublicationKind.ownership.minimumWorkingDays, to: start)
        life.publications.append(Publication(kind: .ownership, round: 1, start: start, earliestClose: close.date, provisional: close.provisional))
        life.stage = .underPublication
        return try finish()
    }

    mutating func fileObjection(_ filed: CivilDate, _ filer: String, _ content: String) throws -> Asset {
        try require([.underPublication, .handoverPublication], "objections are filed while a notice is up (OpenPublication or RecordHandover opens one)")
        let index = life.publications.count - 1
        notFuture(filed, "filed")
        notBefore(filed, life.publications[index].start, "the notice's start", "filed")
        bad += TextRules.required(filer, field: "filer")
        bad += TextRules.required(content, field: "content")
        if life.publications[index].objections.count >= RecordLimits.objectionsMaxCount {
            bad.append(.init(field: "content", description: "the notice already has \(RecordLimits.objectionsMaxCount) objections, the most one notice keeps"))
        }
        life.objectionCount += 1
        life.publications[index].objections.append(Objection(number: life.objectionCount, filed: filed, filer: filer, content: content))
        return try finish()
    }

    mutating func resolveObjection(_ number: Int, _ outcome: ObjectionOutcome, _ date: CivilDate, _ resolution: String, _ corrected: [Owner], _ restart: CivilDate?, _ drafter: SignOffDecider?) throws -> Asset {
        try require([.underPublication, .handoverPublication], "no notice is up, so no objection is open")
        let index = life.publications.count - 1
        guard let position = life.publications[index].objections.firstIndex(where: { $0.number == number }) else {
            throw LedgerError(.notFound, "the open notice of asset \(asset.id) has no objection \(number); GetAsset lists its objections",
                              violations: [.init(field: "number", description: "no such objection on the open notice")])
        }
        if life.publications[index].objections[position].outcome != nil {
            throw LedgerError(.failedPrecondition, "objection \(number) of asset \(asset.id) was already resolved (\(life.publications[index].objections[position].outcome!.rawValue))")
        }
        notFuture(date, "date")
        notBefore(date, life.publications[index].objections[position].filed, "the objection was filed", "date")
        bad += TextRules.required(resolution, field: "resolution")
        if !corrected.isEmpty {
            if outcome != .upheld || life.publications[index].kind != .ownership {
                bad.append(.init(field: "corrected_owners", description: "owners are corrected only by an upheld objection to the ownership notice"))
            } else {
                bad += AssetRules.validateOwners(corrected, field: "corrected_owners")
            }
        }
        life.publications[index].objections[position].outcome = outcome
        life.publications[index].objections[position].resolved = date
        life.publications[index].objections[position].resolution = resolution
        if outcome == .upheld {
            let restartDate = restart ?? date
            notBefore(restartDate, date, "the resolution", "restart")
            notFuture(restartDate, "restart")
            try checkDates()
            if !corrected.isEmpty {
                guard life.ownership != nil else {
                    throw LedgerError(.failedPrecondition, "asset \(asset.id) has no ownership confirmation whose owners could be corrected")
                }
                if let drafter {
                    // Corrected owners are a draft: another identity approves them before the notice closes.
                    life.ownership?.correction = OwnershipCorrection(owners: corrected, signOff: SignOff(draftedBy: drafter.name, draftedById: drafter.id))
                } else {
                    asset.owners = corrected
                    life.ownership?.correction = nil
                }
            }
            LifecycleRules.restartNotice(&life, restarted: date, from: restartDate, calendar: calendar)
        } else if restart != nil {
            bad.append(.init(field: "restart", description: "only an upheld objection restarts the notice"))
        }
        return try finish()
    }

    mutating func closePublication(_ date: CivilDate) throws -> Asset {
        try require([.underPublication, .handoverPublication],
                    stage == .registered || stage == .ownershipConfirmed ? "no notice is up: open the ownership notice first (OpenPublication)" : "no notice is up")
        let notice = life.publications[life.publications.count - 1]
        let open = notice.objections.filter { $0.outcome == nil }.map(\.number)
        if !open.isEmpty {
            throw LedgerError(.failedPrecondition,
                "the \(notice.kind.rawValue) notice of asset \(asset.id) cannot close: objection\(open.count == 1 ? "" : "s") \(open.map(String.init).joined(separator: ", ")) \(open.count == 1 ? "is" : "are") not resolved (ResolveObjection first)")
        }
        if notice.kind == .ownership, let signOff = life.ownership?.correction?.signOff, signOff.state == .pending {
            throw LedgerError(.failedPrecondition,
                "the ownership notice of asset \(asset.id) cannot close: the owners \(signOff.draftedBy) corrected await approval (ApproveOwnership, by another identity); a rejection leaves the owners approved before")
        }
        if date < notice.earliestClose {
            throw LedgerError(.failedPrecondition,
                "the \(notice.kind.rawValue) notice of asset \(asset.id) opened \(notice.start) and must run \(notice.kind.minimumWorkingDays) working days: it can close on \(notice.earliestClose) at the earliest\(notice.provisional ? " (provisional: load the holiday calendar for that year)" : "")",
                violations: [.init(field: "date", description: "is before \(notice.earliestClose)")])
        }
        notFuture(date, "date")
        let lastResolution = notice.objections.compactMap(\.resolved).max()
        notBefore(date, lastResolution, "the last objection was resolved", "date")
        try checkDates()
        life.publications[life.publications.count - 1].closed = date
        if notice.kind == .ownership {
            let due = calendar.adding(workingDays: 30, to: date)
            life.handoverDue = due.date
            life.handoverDueProvisional = due.provisional
            life.stage = .published
        } else {
            life.stage = .handedOver
        }
        return try finish()
    }

    mutating func recordHandover(_ date: CivilDate, _ fromParty: String, _ toParty: String, _ documents: [Document], _ duties: String, _ noticeStart: CivilDate?) throws -> Asset {
        try require([.published], LifecycleRules.stageHint(stage, target: .published))
        notFuture(date, "date")
        notBefore(date, life.publications.last?.closed, "the ownership notice closed", "date")
        bad += TextRules.required(fromParty, field: "from_party")
        bad += TextRules.required(toParty, field: "to_party")
        bad += TextRules.required(duties, field: "upkeep_duties")
        bad += AssetRules.validateDocuments(documents)
        let start = noticeStart ?? date
        notBefore(start, date, "the handover", "notice_start")
        notFuture(start, "notice_start")
        try checkDates()
        let onTime = life.handoverDue.map { date <= $0 } ?? true
        life.handover = Handover(date: date, fromParty: fromParty, toParty: toParty, documents: documents, upkeepDuties: duties, onTime: onTime)
        let close = calendar.adding(workingDays: PublicationKind.handover.minimumWorkingDays, to: start)
        life.publications.append(Publication(kind: .handover, round: 1, start: start, earliestClose: close.date, provisional: close.provisional))
        life.stage = .handoverPublication
        return try finish()
    }

    mutating func handOffOperation(_ operation: Operation, _ date: CivilDate) throws -> Asset {
        try require([.handedOver], LifecycleRules.stageHint(stage, target: .handedOver))
        notFuture(date, "date")
        notBefore(date, life.publications.last?.closed, "the handover notice closed", "date")
        bad += AssetRules.validateOperation(operation)
        asset.operation = operation
        life.inServiceSince = date
        life.stage = .inOperation
        return try finish()
    }

    mutating func putInUse(_ date: CivilDate) throws -> Asset {
        try require([.handedOver], LifecycleRules.stageHint(stage, target: .handedOver))
        notFuture(date, "date")
        notBefore(date, life.publications.last?.closed, "the handover notice closed", "date")
        life.inServiceSince = date
        life.stage = .inUse
        return try finish()
    }

    mutating func recordValuation(_ kind: ValuationKind, _ date: CivilDate, _ valueFen: Int64, _ spendFen: Int64, _ replacedFen: Int64, _ basis: String, _ funding: [Funding]) throws -> Asset {
        notFuture(date, "date")
        let current = life.valuations.last ?? LifecycleRules.initialValuation(of: asset, kind: .finalAccounts)
        notBefore(date, current.date, "the current value's date", "date")
        bad += TextRules.required(basis, field: "basis")
        var newValue = valueFen
        switch kind {
        case .purchase, .provisional:
            throw LedgerError(.failedPrecondition,
                "a \(kind.rawValue) value (\(kind.chineseName)) is given at registration; later values are final_accounts, appraisal, replacement_cost or renovation (004 §16)",
                violations: [.init(field: "kind", description: "\(kind.rawValue) only at registration")])
        case .finalAccounts:
            guard life.valueBasis == .provisional else {
                throw LedgerError(.failedPrecondition,
                    "asset \(asset.id) is valued at \(life.valueBasis.rawValue) (\(life.valueBasis.chineseName)), not provisionally; final accounts replace a provisional value 暂估 (004 §16.2)")
            }
        case .appraisal, .replacementCost:
            break
        case .renovation:
            let spendValid = spendFen > 0 && spendFen <= RecordLimits.amountMaxFen
            let replacedValid = replacedFen >= 0 && replacedFen <= current.valueFen
            if !spendValid { bad.append(.init(field: "spend_fen", description: "must be the amount spent, more than 0 and at most \(RecordLimits.amountMaxFen) fen")) }
            if !replacedValid {
                bad.append(.init(field: "replaced_fen", description: "must be between 0 and the current value (\(current.valueFen) fen)"))
            }
            if valueFen != 0 {
                bad.append(.init(field: "value_fen", description: "is computed for a renovation (old value + spend − replaced part); leave it 0"))
            }
            // Both operands are at most 10^15 here: no overflow.
            newValue = spendValid && replacedValid ? current.valueFen + spendFen - replacedFen : current.valueFen
        }
        if kind != .renovation, (spendFen != 0 || replacedFen != 0) {
            bad.append(.init(field: "spend_fen", description: "spend and replaced part belong to renovations only"))
        }
        if kind != .renovation, valueFen <= 0 || valueFen > RecordLimits.amountMaxFen {
            bad.append(.init(field: "value_fen", description: "must be more than 0 and at most \(RecordLimits.amountMaxFen) fen"))
        }
        if newValue > RecordLimits.amountMaxFen {
            bad.append(.init(field: "spend_fen", description: "the new value would exceed \(RecordLimits.amountMaxFen) fen"))
        }
        // Depreciation already charged stands (004 §17): a value below it would leave a negative net value.
        if bad.isEmpty {
            var probe = asset
            probe.lifecycle.valuations = life.valuations.isEmpty ? [current] : life.valuations
            let charged = Depreciation.accumulatedBefore(date, asset: probe, policy: policy)
            if newValue < charged {
                bad.append(.init(field: kind == .renovation ? "replaced_fen" : "value_fen",
                                 description: "the new value (\(newValue) fen) is below the depreciation already charged before \(date) (\(charged) fen); a net value cannot be negative"))
            }
        }
        // The funding composition must keep adding up to the book value.
        let lines = FundingRules.validateLines(funding, field: "funding")
        if funding.isEmpty {
            bad.append(.init(field: "funding", description: "is required: the funding composition of the new value (\(newValue) fen)"))
        } else if !lines.isEmpty {
            bad += lines
        } else if let total = FundingRules.total(funding), total != newValue {
            bad.append(.init(field: "funding", description: "amounts add up to \(total) fen but the new value is \(newValue) fen; they must be equal"))
        }
        if life.valuations.count >= RecordLimits.valuationsMaxCount {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) already has \(RecordLimits.valuationsMaxCount) valuations, the most one asset keeps")
        }
        if life.valuations.isEmpty { life.valuations = [current] }
        life.valuations.append(ValuationEvent(kind: kind, date: date, valueFen: newValue, spendFen: spendFen, replacedFen: replacedFen, basis: basis))
        asset.originalValueFen = newValue
        asset.funding = funding
        return try finish()
    }
}
