// The upkeep log's rules (issue 23): a record's own fields at their limits,
// and when an asset has gone too long without one.

import Testing
import TaizhangCore

struct UpkeepRulesTests {
    static let today = CivilDate("2026-12-07")!

    static func record(cost: Int64 = 0, by: String = "管护员", what: String = "巡查", date: String = "2026-12-07",
                       documents: [Document] = []) -> UpkeepRecord {
        UpkeepRecord(assetId: "ZC00000001", kind: .repair, date: CivilDate(date)!, costFen: cost, performedBy: by, description: what, documents: documents)
    }

    @Test func aRecordAtItsLimits_passes_andOneBeyondEach_namesItsField() {
        let sha = String(repeating: "0a", count: 32)
        let atLimits = Self.record(cost: UpkeepLimits.costMaxFen, by: String(repeating: "李", count: UpkeepLimits.performedByMaxCharacters),
                                   what: String(repeating: "修", count: UpkeepLimits.descriptionMaxCharacters),
                                   documents: Array(repeating: Document(name: "发票", kind: "invoice", sha256: sha), count: UpkeepLimits.documentsMax))
        #expect(UpkeepRules.violations(atLimits, today: Self.today).isEmpty)
        let beyond = Self.record(cost: UpkeepLimits.costMaxFen + 1, by: String(repeating: "李", count: UpkeepLimits.performedByMaxCharacters + 1),
                                 what: String(repeating: "修", count: UpkeepLimits.descriptionMaxCharacters + 1), date: "2026-12-08",
                                 documents: Array(repeating: Document(name: "发票", kind: "invoice", sha256: sha), count: UpkeepLimits.documentsMax + 1))
        #expect(Set(UpkeepRules.violations(beyond, today: Self.today).map(\.field))
                == ["upkeep.cost_fen", "upkeep.performed_by", "upkeep.description", "upkeep.documents", "upkeep.date"])
        let empty = Self.record(cost: -1, by: "　", what: "", documents: [Document(name: "", kind: "", sha256: sha.uppercased())])
        #expect(Set(UpkeepRules.violations(empty, today: Self.today).map(\.field))
                == ["upkeep.cost_fen", "upkeep.performed_by", "upkeep.description", "upkeep.documents[0].name", "upkeep.documents[0].sha256"])
    }

    @Test func overdue_afterTheDays_fromTheLatestRecordOrTheRegistration_redAtTwice() {
        let registered = CivilDate("2025-01-01")!
        // 365 days after the registration is the last day in time; the day after is overdue.
        #expect(UpkeepRules.overdue(lastUpkept: nil, since: registered, days: 365, today: CivilDate("2026-01-01")!) == nil)
        let late = UpkeepRules.overdue(lastUpkept: nil, since: registered, days: 365, today: CivilDate("2026-01-02")!)
        #expect(late?.since == registered && late?.twice == false)
        #expect(UpkeepRules.overdue(lastUpkept: nil, since: registered, days: 365, today: CivilDate("2027-01-01")!)?.twice == false)
        #expect(UpkeepRules.overdue(lastUpkept: nil, since: registered, days: 365, today: CivilDate("2027-01-02")!)?.twice == true)
        // A record resets the count.
        #expect(UpkeepRules.overdue(lastUpkept: CivilDate("2026-06-01")!, since: registered, days: 365, today: CivilDate("2027-01-02")!) == nil)
        #expect(UpkeepRules.overdue(lastUpkept: CivilDate("2026-06-01")!, since: registered, days: 30, today: CivilDate("2026-07-02")!)?.since
                == CivilDate("2026-06-01")!)
    }
}
