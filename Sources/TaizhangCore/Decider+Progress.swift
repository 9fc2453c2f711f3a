// The rules of the units responsible for projects and of the projects'
// funds and milestones (issue 21): a unit registered, its targets set or
// changed with a reason, a milestone reached, money allocated or paid; and
// the daemon's judgements of ended quarters.

extension Decider {
    /// Limits of a unit's record.
    public enum UnitLimits {
        /// Milestones one quarter's target names.
        public static let milestonesPerQuarterMax = 50
        /// Units one ledger keeps, and projects one unit answers for.
        public static let unitsMax = 5_000
        public static let projectsPerUnitMax = 20_000
        /// Years of targets one unit keeps, and changes of one year's.
        public static let yearsMax = 50
        public static let revisionsMax = 50
    }

    mutating func registerUnit(_ unit: ResponsibleUnit, _ expectedVersion: Int64) throws -> LedgerChange {
        var bad: [FieldViolation] = []
        for (field, text, required) in [("unit.name", unit.name, true), ("unit.head", unit.head, true), ("unit.head_post", unit.headPost, false)] {
            if required, text.isBlank { bad.append(.init(field: field, description: "is required")) }
            if text.utf8.count > StewardshipLimits.nameMaxBytes { bad.append(.init(field: field, description: "is longer than \(StewardshipLimits.nameMaxBytes) bytes")) }
        }
        if let current = existingUnit(unit.id) {
            try reveal(current.adminCode, "responsible unit", unit.id)
            if let error = stale("responsible unit", unit.id, current.version, expectedVersion) { throw error }
            if current.adminCode != unit.adminCode || current.kind != unit.kind {
                bad.append(.init(field: "unit.admin_code", description: "is \(current.adminCode) (\(current.kind.rawValue)) and stays so: a unit's place and kind are fixed; register a new unit instead"))
            }
            if !bad.isEmpty { throw LedgerError.invalid(bad, what: "responsible unit") }
            var next = current
            (next.name, next.head, next.headPost) = (unit.name, unit.head, unit.headPost)
            next.version = current.version + 1
            next.updatedAt = now
            return LedgerChange(stewardship: [(.unit(next), .unit(current))], outcome: .stewardship(.unit(next)))
        }
        if !unit.id.isEmpty {
            try reveal(nil, "responsible unit", unit.id)
            throw LedgerError(.notFound, "no responsible unit \(unit.id) exists; leave unit.id empty to register a new one")
        }
        if let place = view.adminUnit(unit.adminCode) {
            let wanted: AdminLevel = unit.kind == .township ? .township : .county
            if place.level != wanted {
                bad.append(.init(field: "unit.admin_code", description: "is \(place.name), a \(place.level.rawValue); a \(unit.kind.rawValue) unit lies in a \(wanted.rawValue)"))
            }
        } else {
            bad.append(.init(field: "unit.admin_code", description: "no admin unit \(unit.adminCode) exists"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "responsible unit") }
        try permit(unit.adminCode, "the unit's admin_code")
        if (numbers.stewardship[.responsibleUnit] ?? 0) >= UnitLimits.unitsMax {
            throw LedgerError(.resourceExhausted, "the ledger has registered \(UnitLimits.unitsMax) responsible units, the most it keeps")
        }
        var next = unit
        next.id = nextId(.responsibleUnit)
        next.years = []
        next.judgements = []
        next.version = 1
        next.createdAt = now
        next.updatedAt = now
        return LedgerChange(stewardship: [(.unit(next), nil)], outcome: .stewardship(.unit(next)))
    }

    mutating func setTargets(_ unitId: String, _ year: Int, _ quarters: [QuarterTarget], _ date: CivilDate, _ reason: String,
                             _ expectedVersion: Int64) throws -> LedgerChange {
        guard let current = existingUnit(unitId) else {
            try reveal(nil, "responsible unit", unitId)
            throw LedgerError(.notFound, "no responsible unit \(unitId) exists", violations: [.init(field: "unit_id", description: "not found")])
        }
        try reveal(current.adminCode, "responsible unit", unitId)
        if let error = stale("responsible unit", unitId, current.version, expectedVersion) { throw error }
        let before = current.targets(year)
        var bad = targetViolations(unitId, year, quarters, date)
        if before != nil, reason.isBlank {
            bad.append(.init(field: "reason", description: "is required to change targets already set: say why (the document that changed them)"))
        }
        if reason.utf8.count > RecordLimits.textMaxBytes { bad.append(.init(field: "reason", description: "is longer than \(RecordLimits.textMaxBytes) bytes")) }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "targets") }
        if let before {
            // A quarter's target stands once the quarter has ended: lowering
            // it after seeing what was done would change its light.
            let ended = (1...4).filter { before.quarter($0) != quarters[$0 - 1] && Quarter(year: year, number: $0)!.last < today }
            if let first = ended.first.map({ Quarter(year: year, number: $0)! }) {
                throw LedgerError(.failedPrecondition, "\(first) (\(first.chineseName)) ended on \(first.last); the target of an ended quarter stands and is judged as set. Change only the quarters still to come",
                                  violations: ended.map { .init(field: "quarters[\($0 - 1)]", description: "\(year)Q\($0) has ended") })
            }
            if before.revisions.count >= UnitLimits.revisionsMax {
                throw LedgerError(.resourceExhausted, "the \(year) targets of \(unitId) were changed \(UnitLimits.revisionsMax) times, the most a year keeps")
            }
        } else if current.years.count >= UnitLimits.yearsMax {
            throw LedgerError(.resourceExhausted, "\(unitId) has targets for \(UnitLimits.yearsMax) years, the most a unit keeps")
        }
        var next = current
        let revision = TargetRevision(on: date, reason: reason, before: before?.quarters ?? [], by: context.person,
                                      identity: context.identity, recordedAt: now)
        var targets = before ?? UnitYearTargets(year: year, quarters: quarters)
        targets.quarters = quarters
        targets.revisions.append(revision)
        next.years = (current.years.filter { $0.year != year } + [targets]).sorted { $0.year < $1.year }
        next.version = current.version + 1
        next.updatedAt = now
        return LedgerChange(stewardship: [(.unit(next), .unit(current))], outcome: .stewardship(.unit(next)))
    }

    /// What is wrong with a year's targets of `unitId`.
    func targetViolations(_ unitId: String, _ year: Int, _ quarters: [QuarterTarget], _ date: CivilDate) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if year < 2000 || year > today.year + 1 { bad.append(.init(field: "year", description: "is \(year); targets are set for 2000 to \(today.year + 1)")) }
        if date > today { bad.append(.init(field: "date", description: "is \(date), after today (\(today))")) }
        guard quarters.count == 4 else {
            return bad + [.init(field: "quarters", description: "has \(quarters.count) entries; a year has four quarters (Q1 to Q4), the year's target being their sum")]
        }
        var named: Set<MilestoneTarget> = []
        for (index, quarter) in quarters.enumerated() {
            let field = "quarters[\(index)]"
            if quarter.spendFen < 0 || quarter.spendFen > RecordLimits.amountMaxFen {
                bad.append(.init(field: "\(field).spend_fen", description: "must be 0 to \(RecordLimits.amountMaxFen) fen"))
            }
            if quarter.milestones.count > UnitLimits.milestonesPerQuarterMax {
                bad.append(.init(field: "\(field).milestones", description: "has \(quarter.milestones.count) entries; at most \(UnitLimits.milestonesPerQuarterMax) are allowed"))
                continue
            }
            for (position, wanted) in quarter.milestones.enumerated() {
                let at = "\(field).milestones[\(position)]"
                if !named.insert(wanted).inserted {
                    bad.append(.init(field: at, description: "\(wanted.projectId) \(wanted.milestone.rawValue) is named twice in the year"))
                }
                guard case .progress(let progress)? = view.record(.projectProgress, wanted.projectId),
                      context.scope.map({ $0.contains(progress.adminCode) }) ?? true else {
                    bad.append(.init(field: "\(at).project_id", description: "no approved project \(wanted.projectId) exists (record its approval first)"))
                    continue
                }
                if progress.unitId != unitId {
                    bad.append(.init(field: "\(at).project_id", description: "project \(wanted.projectId) is carried out by \(progress.unitId), not \(unitId)"))
                }
            }
        }
        return bad
    }

    mutating func recordMilestone(_ projectId: String, _ entry: MilestoneEntry, _ unitId: String) throws -> LedgerChange {
        let project = try approvedProject(projectId, approving: entry.milestone == .approved)
        var entry = entry
        entry.meta = ProgressEntryMeta(identity: context.identity, actor: context.actor, recordedAt: now)
        guard case .progress(let current)? = view.record(.projectProgress, projectId) else {
            guard entry.milestone == .approved else { throw notApproved(projectId) }
            return try approve(project, entry, unitId)
        }
        if !unitId.isEmpty, unitId != current.unitId {
            throw LedgerError.invalid([.init(field: "unit_id", description: "project \(projectId) is carried out by \(current.unitId); leave unit_id empty after the approval")], what: "milestone")
        }
        return progressed(current, try ProgressRules.reach(entry, on: current, today: today))
    }

    /// The approval: the project's record, naming its responsible unit,
    /// which must reach it (a township government answers for projects in
    /// its township; a county department for any in the county).
    mutating func approve(_ project: Project, _ entry: MilestoneEntry, _ unitId: String) throws -> LedgerChange {
        guard var unit = existingUnit(unitId) else {
            throw LedgerError.invalid([.init(field: "unit_id", description: unitId.isEmpty
                ? "is required with the approval: the responsible unit (DW…) that carries the project out"
                : "no responsible unit \(unitId) exists")], what: "milestone")
        }
        try reveal(unit.adminCode, "responsible unit", unitId)
        if !view.subtree(of: unit.adminCode).contains(project.adminCode) {
            throw LedgerError.invalid([.init(field: "unit_id", description: "\(unit.name) (\(unit.adminCode)) does not reach project \(project.id), which lies in \(project.adminCode): a township government answers for its own township's projects")], what: "milestone")
        }
        if unit.projects >= UnitLimits.projectsPerUnitMax {
            throw LedgerError(.resourceExhausted, "\(unit.id) answers for \(UnitLimits.projectsPerUnitMax) projects, the most one unit does")
        }
        var next = try ProgressRules.reach(entry, on: ProjectProgress(id: project.id, adminCode: project.adminCode, unitId: unit.id), today: today)
        (next.version, next.createdAt, next.updatedAt) = (1, now, now)
        let before = unit
        unit.projects += 1
        unit.version += 1
        unit.updatedAt = now
        return LedgerChange(stewardship: [(.progress(next), nil), (.unit(unit), .unit(before))], outcome: .stewardship(.progress(next)))
    }

    mutating func recordAllocation(_ projectId: String, _ allocation: FundAllocation) throws -> LedgerChange {
        let project = try approvedProject(projectId, approving: false)
        guard case .progress(let current)? = view.record(.projectProgress, projectId) else { throw notApproved(projectId) }
        var allocation = allocation
        allocation.meta = ProgressEntryMeta(identity: context.identity, actor: context.actor, recordedAt: now)
        return progressed(current, try Self.prefixing("allocation") { try ProgressRules.allocate(allocation, to: current, projectYear: project.year, today: today) })
    }

    mutating func recordDisbursement(_ projectId: String, _ payment: FundDisbursement) throws -> LedgerChange {
        _ = try approvedProject(projectId, approving: false)
        guard case .progress(let current)? = view.record(.projectProgress, projectId) else { throw notApproved(projectId) }
        var payment = payment
        payment.meta = ProgressEntryMeta(identity: context.identity, actor: context.actor, recordedAt: now)
        var next = try Self.prefixing("disbursement") { try ProgressRules.disburse(payment, from: current, today: today) }
        (next.disbursements, next.paid) = ([], [])
        let record = DisbursementRecord(id: nextId(.disbursement), projectId: projectId, unitId: current.unitId, adminCode: current.adminCode,
                                        payment: payment, createdAt: now)
        var change = progressed(current, next)
        change.stewardship.append((.disbursement(record), nil))
        return change
    }

    /// The daemon's judgements of ended quarters: each recorded once.
    mutating func judgeQuarters(_ judgements: [QuarterJudgement]) throws -> LedgerChange {
        var units: [String: (after: ResponsibleUnit, before: ResponsibleUnit)] = [:]
        var order: [String] = []
        for judgement in judgements where [.green, .yellow, .red].contains(judgement.light) {
            guard let current = units[judgement.unitId]?.after ?? existingUnit(judgement.unitId),
                  current.judgement(judgement.quarter) == nil else { continue }
            var next = current
            next.judgements.append(judgement)
            next.judgements.sort { $0.quarter < $1.quarter }
            next.version = current.version + 1
            next.updatedAt = now
            if units[judgement.unitId] == nil { order.append(judgement.unitId) }
            units[judgement.unitId] = (next, units[judgement.unitId]?.before ?? current)
        }
        let written = order.compactMap { units[$0] }.map { (after: StewardshipRecord.unit($0.after), before: Optional(StewardshipRecord.unit($0.before))) }
        return LedgerChange(stewardship: written, outcome: .stewardships(written.map(\.after)))
    }

    mutating func assessProject(_ assessment: ProjectAssessment, _ weakBelow: Int) throws -> LedgerChange {
        let project = try approvedProject(assessment.projectId, approving: false)
        guard case .progress(let current)? = view.record(.projectProgress, project.id) else { throw notApproved(project.id) }
        if let started = current.reached(.started) {
            throw LedgerError(.failedPrecondition, "project \(project.id) started on \(started.on); the assessment of its operating entity comes before it starts (000 二(一) 项目前期风险评估)")
        }
        var bad = AssessmentRules.violations(assessment.facts)
        if assessment.on > today { bad.append(.init(field: "date", description: "is \(assessment.on), after today (\(today))")) }
        if assessment.assessors.utf8.count > RecordLimits.textMaxBytes { bad.append(.init(field: "assessors", description: "is longer than \(RecordLimits.textMaxBytes) bytes")) }
        let entity = view.entity(assessment.entityId)
        if entity == nil { bad.append(.init(field: "entity_id", description: assessment.entityId.isEmpty ? "is required: the operating entity proposed" : "no operating entity \(assessment.entityId) exists")) }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "assessment") }
        if current.assessmentIds.count >= ProgressRules.assessmentsMax {
            throw LedgerError(.resourceExhausted, "project \(project.id) has \(ProgressRules.assessmentsMax) assessments, the most one project keeps")
        }
        var next = assessment
        let scored = AssessmentRules.score(assessment.facts, weakBelow: weakBelow)
        (next.parts, next.total, next.weak) = (scored.parts, scored.total, scored.weak)
        next.id = nextId(.assessment)
        (next.adminCode, next.entityName, next.identity) = (project.adminCode, entity?.name ?? "", context.identity)
        (next.version, next.createdAt) = (1, now)
        var progress = current
        progress.assessmentIds.append(next.id)
        var change = progressed(current, progress)
        change.stewardship.insert((.assessment(next), nil), at: 0)
        change.outcome = .stewardship(.assessment(next))
        return change
    }

    // MARK: Helpers

    /// The rules' refusal with its fields put under `prefix` (the request's
    /// "allocation.amount_fen" for the rule's "amount_fen").
    static func prefixing<T>(_ prefix: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as LedgerError {
            error.violations = error.violations.map { $0.prefixed(prefix) }
            throw error
        }
    }

    func existingUnit(_ id: String) -> ResponsibleUnit? {
        guard !id.isEmpty, case .unit(let unit)? = view.record(.responsibleUnit, id) else { return nil }
        return unit
    }

    /// The project named, in the caller's scope; with `approving` it need
    /// not have a progress record yet.
    func approvedProject(_ id: String, approving: Bool) throws -> Project {
        guard let project = view.project(id) else {
            try reveal(nil, "project", id)
            throw LedgerError(.notFound, "no project \(id) exists", violations: [.init(field: "project_id", description: "not found")])
        }
        try reveal(project.adminCode, "project", id)
        return project
    }

    func notApproved(_ projectId: String) -> LedgerError {
        LedgerError(.failedPrecondition, "project \(projectId) has no approval recorded; record its approval first (RecordMilestone approved, naming its responsible unit)")
    }

    /// The change writing `next` over `current`.
    func progressed(_ current: ProjectProgress, _ next: ProjectProgress) -> LedgerChange {
        var next = next
        next.version = current.version + 1
        next.updatedAt = now
        return LedgerChange(stewardship: [(.progress(next), .progress(current))], outcome: .stewardship(.progress(next)))
    }
}
