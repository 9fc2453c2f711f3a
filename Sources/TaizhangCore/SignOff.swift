// Separation of duties (issue 8; 004 §24–27 and §9–15 name who approves a
// disposal and who confirms ownership): with an access file, a disposal and
// an ownership confirmation are drafted by one identity and decided by
// another that holds the approving permission. In local mode (one user) and
// for records from before sign-offs there is none: they are in effect at once.

/// A draft's decision.
public struct SignOff: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case pending, approved, rejected
    }

    public var state: State
    /// The identity that drafted it (its name then).
    public var draftedBy: String
    /// The drafting identity's immutable id (issue 20); nil on drafts made
    /// before ids, whose drafter is known by name only.
    public var draftedById: String?
    /// The deciding identity's immutable id, once decided.
    public var decidedById: String?
    /// The identity that decided it; empty while pending.
    public var decidedBy: String
    public var decidedOn: CivilDate?
    /// Why; required for a rejection.
    public var note: String

    /// A sign-off.
    public init(state: State = .pending, draftedBy: String, draftedById: String? = nil, decidedBy: String = "", decidedById: String? = nil,
                decidedOn: CivilDate? = nil, note: String = "") {
        self.state = state
        self.draftedBy = draftedBy
        self.draftedById = draftedById
        self.decidedById = decidedById
        self.decidedBy = decidedBy
        self.decidedOn = decidedOn
        self.note = note
    }
}

/// What the deciding identity decides.
public enum SignOffDecision: String, Sendable, Hashable, CaseIterable {
    case approve, reject
}

/// Who decides, and whether the drafter is barred from it.
public struct SignOffDecider: Sendable, Hashable {
    /// The identity's name ("county-approver"; "local" in local mode).
    public var name: String
    /// The identity's immutable id (the access file's; its name when none).
    public var id: String
    /// False in local mode: its one user may decide its own drafts.
    public var separated: Bool

    public init(name: String, id: String = "", separated: Bool) {
        self.name = name
        self.id = id.isEmpty ? name : id
        self.separated = separated
    }

    /// Whether this identity drafted `signOff`: by its id, or on a draft
    /// made before ids, by its name.
    public func drafted(_ signOff: SignOff) -> Bool {
        // A draft recorded under an implicit id (the name, before the file
        // gave ids) is the name's: an id given later does not free its
        // drafter to decide it.
        if let id = signOff.draftedById, id != signOff.draftedBy { return id == self.id }
        return signOff.draftedBy == name || signOff.draftedBy == id
    }

    /// A new draft by this identity, or nil when nobody else must decide it (local mode).
    public var draft: SignOff? { separated ? SignOff(draftedBy: name, draftedById: id) : nil }
}

public enum SignOffRules {
    /// Decides `signOff`, or says why it cannot be decided.
    /// - Parameters:
    ///   - what: the draft, for messages ("the disposal CZ00000001").
    ///   - earliest: the draft's own date; the decision may not precede it.
    ///   - approving: the method that decides it, for messages.
    public static func decide(_ signOff: SignOff?, _ decision: SignOffDecision, by decider: SignOffDecider, on date: CivilDate,
                              note: String, what: String, earliest: CivilDate, today: CivilDate) throws -> SignOff {
        guard var signOff, signOff.state == .pending else {
            let state = signOff.map { "it was \($0.state.rawValue) by \($0.decidedBy) on \($0.decidedOn?.description ?? "?")" }
                ?? "it took effect when it was recorded (no access file, or recorded before sign-offs)"
            throw LedgerError(.failedPrecondition, "\(what) awaits no decision: \(state)")
        }
        if decider.separated, decider.drafted(signOff) {
            throw LedgerError(.permissionDenied, "separation of duties: \(decider.name) drafted \(what), so another identity decides it")
        }
        var bad: [FieldViolation] = []
        if date > today { bad.append(.init(field: "date", description: "is \(date), after today (\(today)); record the decision once it is taken")) }
        if date < earliest { bad.append(.init(field: "date", description: "is \(date), before \(what) was drafted (\(earliest))")) }
        bad += TextRules.optional(note, field: "note")
        if decision == .reject, note.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            bad.append(.init(field: "note", description: "is required for a rejection: say what must change"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "decision") }
        signOff.state = decision == .approve ? .approved : .rejected
        signOff.decidedBy = decider.name
        signOff.decidedById = decider.id
        signOff.decidedOn = date
        signOff.note = note
        return signOff
    }

    /// Why a draft in `signOff`'s state is not in effect, or nil when it is.
    public static func notInEffect(_ signOff: SignOff?, what: String, approving: String, redraft: String) -> String? {
        guard let signOff else { return nil }
        switch signOff.state {
        case .approved: return nil
        case .pending:
            return "\(what) drafted by \(signOff.draftedBy) awaits approval (\(approving), by another identity)"
        case .rejected:
            return "\(what) was rejected by \(signOff.decidedBy) on \(signOff.decidedOn?.description ?? "?") (\(signOff.note)); draft it again (\(redraft))"
        }
    }
}
