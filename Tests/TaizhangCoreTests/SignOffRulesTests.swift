// Separation of duties: who may decide a draft, when, and what a decision records.

import Foundation
import Testing
import TaizhangCore

struct SignOffRulesTests {
    static let drafted = CivilDate("2026-05-01")!
    static let today = CivilDate("2026-06-01")!
    static let pending = SignOff(draftedBy: "baima-clerk")
    static let approver = SignOffDecider(name: "xionghe-approver", separated: true)

    static func decide(_ signOff: SignOff?, _ decision: SignOffDecision = .approve, by decider: SignOffDecider = approver,
                       on date: String = "2026-05-02", note: String = "") throws -> SignOff {
        try SignOffRules.decide(signOff, decision, by: decider, on: CivilDate(date)!, note: note, what: "the disposal CZ00000001",
                                earliest: drafted, today: today)
    }

    static func refusal(_ body: () throws -> SignOff) -> LedgerError? {
        do { _ = try body(); return nil } catch { return error as? LedgerError }
    }

    @Test func anotherIdentity_approves_andTheDecisionIsRecorded() throws {
        let approved = try Self.decide(Self.pending)
        #expect(approved == SignOff(state: .approved, draftedBy: "baima-clerk", decidedBy: "xionghe-approver", decidedById: "xionghe-approver",
                                    decidedOn: CivilDate("2026-05-02"), note: ""))
        #expect(SignOffRules.notInEffect(approved, what: "x", approving: "A", redraft: "D") == nil)
        #expect(SignOffRules.notInEffect(nil, what: "x", approving: "A", redraft: "D") == nil)
        #expect(SignOffRules.notInEffect(Self.pending, what: "x", approving: "A", redraft: "D")?.contains("awaits approval") == true)
    }

    @Test func theDrafter_cannotDecide_exceptTheOneUserOfLocalMode() throws {
        let own = Self.refusal { try Self.decide(Self.pending, by: SignOffDecider(name: "baima-clerk", separated: true)) }
        #expect(own?.code == .permissionDenied)
        #expect(own?.message.contains("separation of duties") == true)
        let rejection = Self.refusal { try Self.decide(Self.pending, .reject, by: SignOffDecider(name: "baima-clerk", separated: true), note: "x") }
        #expect(rejection?.code == .permissionDenied)
        let local = try Self.decide(SignOff(draftedBy: "local"), by: SignOffDecider(name: "local", separated: false))
        #expect(local.state == .approved)
    }

    @Test func theDrafter_isKnownByItsId_orOnOldDraftsByName() throws {
        let drafted = SignOff(draftedBy: "baima-clerk", draftedById: "p-0001")
        // Renamed since: the same id is the same person.
        let renamed = Self.refusal { try Self.decide(drafted, by: SignOffDecider(name: "baima-renamed", id: "p-0001", separated: true)) }
        #expect(renamed?.code == .permissionDenied)
        // The old name under another id is someone else.
        let decided = try Self.decide(drafted, by: SignOffDecider(name: "baima-clerk", id: "p-0099", separated: true))
        #expect(decided.state == .approved && decided.decidedById == "p-0099")
        // A draft from before ids: by name.
        #expect(Self.refusal { try Self.decide(Self.pending, by: SignOffDecider(name: "baima-clerk", id: "p-0001", separated: true)) }?.code == .permissionDenied)
        // Drafted under an implicit id (the name, the file gave none), then the file gives it an id: still its draft.
        let implicit = SignOff(draftedBy: "baima-clerk", draftedById: "baima-clerk")
        #expect(Self.refusal { try Self.decide(implicit, by: SignOffDecider(name: "baima-clerk", id: "p-0001", separated: true)) }?.code == .permissionDenied)
    }

    @Test func aRejection_needsANote_andDatesAreChecked() throws {
        let bare = Self.refusal { try Self.decide(Self.pending, .reject, note: "  ") }
        #expect(bare?.code == .invalidArgument)
        #expect(bare?.violations.map(\.field) == ["note"])
        let rejected = try Self.decide(Self.pending, .reject, note: "评估报告过期")
        #expect(rejected.state == .rejected)
        #expect(SignOffRules.notInEffect(rejected, what: "x", approving: "A", redraft: "D")?.contains("评估报告过期") == true)
        let early = Self.refusal { try Self.decide(Self.pending, on: "2026-04-30") }
        #expect(early?.violations.map(\.field) == ["date"])
        let future = Self.refusal { try Self.decide(Self.pending, on: "2026-06-02") }
        #expect(future?.violations.map(\.field) == ["date"])
        let long = Self.refusal { try Self.decide(Self.pending, note: String(repeating: "长", count: 600)) }
        #expect(long?.violations.map(\.field) == ["note"])
    }

    @Test func onlyAPendingDraft_isDecided() throws {
        let approved = try Self.decide(Self.pending)
        for decided in [approved, try Self.decide(Self.pending, .reject, note: "x")] as [SignOff?] + [nil] {
            let again = Self.refusal { try Self.decide(decided) }
            #expect(again?.code == .failedPrecondition)
            #expect(again?.message.contains("awaits no decision") == true)
        }
    }

    @Test func aConfirmationStoredBeforeSignOffs_decodes() throws {
        let old = #"{"date":"2024-01-31","overrideReason":"","proposed":[],"rule":"004 §11"}"#
        let confirmation = try JSONDecoder().decode(OwnershipConfirmation.self, from: Data(old.utf8))
        #expect(confirmation.signOff == nil)
        #expect(confirmation.owners.isEmpty)
        #expect(confirmation.correction == nil)
        #expect(!confirmation.awaitsDecision)
        var drafted = confirmation
        drafted.correction = OwnershipCorrection(owners: [], signOff: Self.pending)
        let again = try JSONDecoder().decode(OwnershipConfirmation.self, from: try JSONEncoder().encode(drafted))
        #expect(again == drafted)
        #expect(again.awaitsDecision)
    }
}
