// The rules of the beneficiary register (issue 23): a household registered
// in its village or changed with a dated reason, its numbers sealed for it;
// one person registered once; and the journal's note of each read of
// personal data in clear.

extension Decider {
    /// Households one ledger keeps (a county has tens of thousands; a
    /// province's ledger a few million).
    public static let householdsMax = 5_000_000

    mutating func registerHousehold(_ entry: HouseholdEntry, _ key: PersonalDataKey) throws -> LedgerChange {
        var bad = HouseholdRules.violations(entry, isNew: true, today: today)
        if !entry.id.isEmpty {
            bad.append(.init(field: "household.id", description: "leave it empty: the ledger numbers a new household (UpdateHousehold changes one)"))
        }
        bad += villageViolations(entry.villageCode)
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "household") }
        try permit(entry.villageCode, "the household's village_code")
        let digest = key.digest(idNumber: entry.idNumber)
        try refuseSecondRegistration(digest, of: nil)
        if (numbers.stewardship[.household] ?? 0) >= Self.householdsMax {
            throw LedgerError(.resourceExhausted, "the ledger has registered \(Self.householdsMax) households, the most it keeps")
        }
        let id = nextId(.household)
        let number = ResidentID.normalized(entry.idNumber)
        let household = Household(
            id: id, villageCode: entry.villageCode, headName: entry.headName.trimmingSpaces,
            idNumberMasked: ResidentID.masked(number), idNumberSealed: key.seal(number, household: id, field: "id_number"), idDigest: digest,
            phoneMasked: entry.phone.isEmpty ? "" : PhoneNumber.masked(entry.phone),
            phoneSealed: key.seal(entry.phone, household: id, field: "phone"),
            members: entry.members, labourCapacity: entry.labourCapacity, category: entry.category, registeredOn: entry.on,
            changes: [HouseholdChange(date: entry.on, what: "登记：\(entry.category.chineseName)，\(entry.labourCapacity.chineseName)", reason: entry.reason.trimmingSpaces)],
            version: 1, createdAt: now, updatedAt: now)
        return LedgerChange(stewardship: [(.household(household), nil)], outcome: .stewardship(.household(household)))
    }

    /// An import: every entry registered as RegisterHousehold would, in one
    /// change; the refusals of every row are listed together
    /// (`households[i].…`) and none is registered (the numbers a refused
    /// import drew are given back). `validateOnly`: every check, nothing
    /// changed (an empty change).
    mutating func registerHouseholds(_ entries: [HouseholdEntry], _ key: PersonalDataKey, validateOnly: Bool) throws -> LedgerChange {
        guard entries.count <= HouseholdLimits.importMaxCount else {
            throw LedgerError.invalid([.init(field: "households", description: "has \(entries.count) rows; at most \(HouseholdLimits.importMaxCount) in one import")], what: "import")
        }
        let drawn = numbers
        var change = LedgerChange(outcome: .stewardships([]))
        var registered: [StewardshipRecord] = []
        var digests: [String: Int] = [:]
        var bad: [FieldViolation] = []
        var code = ErrorCode.invalidArgument
        for (index, entry) in entries.enumerated() {
            let row = "households[\(index)]"
            let digest = key.digest(idNumber: entry.idNumber)
            if let earlier = digests[digest], !entry.idNumber.isEmpty {
                bad.append(.init(field: row + ".id_number", description: "is the same person as row \(earlier + 1) of the import"))
                continue
            }
            digests[digest] = index
            do {
                let one = try registerHousehold(entry, key)
                change.stewardship += one.stewardship
                registered += one.stewardship.map(\.after)
            } catch let error as LedgerError {
                if code == .invalidArgument { code = error.code }
                let described = error.violations.isEmpty ? [FieldViolation(field: row, description: error.message)] : error.violations
                bad += described.map { .init(field: $0.field.replacingPrefix("household", with: row), description: $0.description) }
            }
            if bad.count >= 1_000 { break }
        }
        if !bad.isEmpty || validateOnly {
            numbers = drawn
        }
        if !bad.isEmpty {
            let rows = Set(bad.map { $0.field.prefix { $0 != "]" } }).count
            throw LedgerError(code, "\(rows) of \(entries.count) rows are refused; nothing was registered; see violations", violations: Array(bad.prefix(1_000)))
        }
        if validateOnly { return LedgerChange(outcome: .stewardships([])) }
        change.outcome = .stewardships(registered)
        return change
    }

    mutating func updateHousehold(_ entry: HouseholdEntry, _ key: PersonalDataKey, _ expectedVersion: Int64) throws -> LedgerChange {
        guard case .household(let current)? = view.record(.household, entry.id) else {
            try reveal(nil, "household", entry.id)
            throw LedgerError(.notFound, "no household \(entry.id) exists", violations: [.init(field: "household.id", description: "not found")])
        }
        try reveal(current.villageCode, "household", entry.id)
        if let error = stale("household", entry.id, current.version, expectedVersion) { throw error }
        var bad = HouseholdRules.violations(entry, isNew: false, today: today)
        if entry.villageCode != current.villageCode {
            bad.append(.init(field: "household.village_code", description: "is \(current.villageCode) and stays so: a household that moves is registered in its new village"))
        }
        if let last = current.changes.last?.date, entry.on < last {
            bad.append(.init(field: "date", description: "is before the household's last change (\(last)); changes are recorded in the order they happened"))
        }
        if current.changes.count >= HouseholdLimits.changesMaxCount {
            bad.append(.init(field: "household", description: "has \(HouseholdLimits.changesMaxCount) changes, the most one keeps"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "household") }
        var next = current
        (next.headName, next.members, next.labourCapacity, next.category) = (entry.headName.trimmingSpaces, entry.members, entry.labourCapacity, entry.category)
        if !entry.idNumber.isEmpty, key.digest(idNumber: entry.idNumber) != current.idDigest {
            let number = ResidentID.normalized(entry.idNumber)
            next.idDigest = key.digest(idNumber: number)
            try refuseSecondRegistration(next.idDigest, of: current.id)
            (next.idNumberMasked, next.idNumberSealed) = (ResidentID.masked(number), key.seal(number, household: current.id, field: "id_number"))
        }
        if entry.removePhone {
            (next.phoneMasked, next.phoneSealed) = ("", "")
        } else if !entry.phone.isEmpty, (try? key.open(current.phoneSealed, household: current.id, field: "phone")) != entry.phone {
            (next.phoneMasked, next.phoneSealed) = (PhoneNumber.masked(entry.phone), key.seal(entry.phone, household: current.id, field: "phone"))
        }
        let what = HouseholdRules.describeChange(from: current, to: next)
        if what.isEmpty {
            throw LedgerError(.failedPrecondition, "household \(current.id) already reads so: nothing to change",
                              violations: [.init(field: "household", description: "no field differs from the register")])
        }
        next.changes.append(HouseholdChange(date: entry.on, what: what, reason: entry.reason.trimmingSpaces))
        next.version = current.version + 1
        next.updatedAt = now
        return LedgerChange(stewardship: [(.household(next), .household(current))], outcome: .stewardship(.household(next)))
    }

    /// A visit to a household about a plan that paid it: the household and
    /// the plan must exist in the caller's scope, the plan carried out with
    /// a payment line for the household, the visit dated between then and today.
    mutating func recordVisit(_ visit: HouseholdVisit) throws -> LedgerChange {
        guard case .household(let household)? = view.record(.household, visit.householdId) else {
            try reveal(nil, "household", visit.householdId)
            throw LedgerError(.notFound, "no household \(visit.householdId) exists", violations: [.init(field: "visit.household_id", description: "not found")])
        }
        try reveal(household.villageCode, "household", household.id)
        guard case .plan(let plan)? = view.record(.distributionPlan, visit.planId) else {
            try reveal(nil, "distribution plan", visit.planId)
            throw LedgerError(.notFound, "no distribution plan \(visit.planId) exists", violations: [.init(field: "visit.plan_id", description: "not found")])
        }
        try reveal(plan.ownerCode, "distribution plan", plan.id)
        var bad: [FieldViolation] = []
        let paid = plan.payments?.contains { $0.householdId == household.id } ?? false
        if plan.stage != .carriedOut || !paid {
            bad.append(.init(field: "visit.plan_id", description: "\(plan.id) has paid \(household.id) nothing (it is \(plan.stage.rawValue)); visits check payments a plan carried out"))
        }
        let carriedOn = plan.steps.last { $0.stage == .carriedOut }?.date
        if let carriedOn, visit.date < carriedOn {
            bad.append(.init(field: "visit.date", description: "is before the plan paid the household (\(carriedOn))"))
        }
        if visit.date > today { bad.append(.init(field: "visit.date", description: "is \(visit.date), after today (\(today))")) }
        for (field, text, max) in [("visit.inspector", visit.inspector, HouseholdLimits.nameMaxCharacters), ("visit.asked", visit.asked, HouseholdLimits.reasonMaxCharacters * 2)] {
            if text.trimmingSpaces.isEmpty { bad.append(.init(field: field, description: "is required")) }
            if text.count > max { bad.append(.init(field: field, description: "at most \(max) characters")) }
        }
        if visit.notes.count > HouseholdLimits.reasonMaxCharacters * 2 {
            bad.append(.init(field: "visit.notes", description: "at most \(HouseholdLimits.reasonMaxCharacters * 2) characters"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "visit") }
        var next = visit
        next.id = nextId(.visit)
        (next.villageCode, next.headName) = (household.villageCode, household.headName)
        (next.inspector, next.asked) = (visit.inspector.trimmingSpaces, visit.asked.trimmingSpaces)
        (next.version, next.createdAt, next.updatedAt) = (1, now, now)
        return LedgerChange(stewardship: [(.visit(next), nil)], outcome: .stewardship(.visit(next)))
    }

    /// Journal notes of personal data read in clear: one per household,
    /// naming the fields and the reason given (the entry itself names who,
    /// when and by which method).
    func notePersonalDataRead(_ householdIds: [String], fields: [String], reason: String) -> LedgerChange {
        var change = LedgerChange(outcome: .journaled(AuditHead(seq: 0, hash: "")))
        change.notes = householdIds.map { (LedgerNotes.personalDataRead, $0, LedgerNotes.personalDataJSON(fields: fields, reason: reason)) }
        return change
    }

    private func villageViolations(_ code: String) -> [FieldViolation] {
        guard code.count == 12 else { return [] }
        guard let place = view.adminUnit(code) else {
            return [.init(field: "household.village_code", description: "no admin unit \(code) exists")]
        }
        if place.level != .village {
            return [.init(field: "household.village_code", description: "is a \(place.level.rawValue), not a village; households are registered in their village")]
        }
        return []
    }

    /// ALREADY_EXISTS when another household's head has this ID number
    /// (named only when the caller may see it).
    private func refuseSecondRegistration(_ digest: String, of id: String?) throws {
        guard let holder = view.householdHolder(ofDigest: digest), holder != id else { return }
        var shown = holder
        if let scope = context.scope, case .household(let other)? = view.record(.household, holder), !scope.contains(other.villageCode) {
            shown = "a household outside \(context.scopeHolder)"
        }
        throw LedgerError(.alreadyExists, "this ID number is already registered as the head of \(shown); a person is registered once",
                          violations: [.init(field: "household.id_number", description: "already registered")])
    }
}
