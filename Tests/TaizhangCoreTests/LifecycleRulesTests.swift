// The life-cycle transitions (DOMAIN.md steps 2–8) with hand-worked dates
// on the official calendar (004 §15, §19) and values (004 §16–17).

import Testing
@testable import TaizhangCore

struct LifecycleRulesTests {
    static let calendar = WorkingDayCalendar.builtIn()
    static let today = CivilDate("2026-11-22")!
    static func date(_ text: String) -> CivilDate { CivilDate(text)! }
    static let village = Owner(name: "白马村集体经济组织", kind: .villageCollective, adminCode: "421024101201", shareBasisPoints: 10_000)
    static let proposal = OwnershipProposal(owners: [village], rule: "004 §11", explanation: "")

    static func asset(value: Int64 = 12_000_000, basis: ValuationKind = .finalAccounts) -> Asset {
        var asset = Asset(id: "ZC00000001", name: "白马村光伏电站", category: .operating, subType: "光伏电站", projectId: "P1",
                          adminCode: "421024101201", acquiredDate: date("2023-06-15"), usefulLifeYears: 20,
                          originalValueFen: value, funding: [Funding(source: .centralSpecial, amountFen: value)], owners: [])
        asset.lifecycle.valuations = [LifecycleRules.initialValuation(of: asset, kind: basis)]
        return asset
    }

    static func apply(_ action: LifecycleAction, _ asset: Asset) throws -> Asset {
        try LifecycleRules.apply(action, to: asset, calendar: calendar, today: today)
    }

    static func refusal(_ action: LifecycleAction, _ asset: Asset) -> LedgerError? {
        do {
            _ = try apply(action, asset)
            return nil
        } catch let error as LedgerError {
            return error
        } catch {
            return nil
        }
    }

    /// Registered → confirmed → on notice from Fri 2 Feb 2024.
    static func onNotice() throws -> Asset {
        var asset = try apply(.confirmOwnership(owners: [], date: date("2024-01-31"), overrideReason: "", proposal: proposal), asset())
        asset = try apply(.openPublication(start: date("2024-02-02")), asset)
        return asset
    }

    @Test func wholeLifeCycle_walksEveryStage() throws {
        var asset = Self.asset()
        #expect(asset.lifecycle.stage == .registered)
        asset = try Self.apply(.confirmOwnership(owners: [], date: Self.date("2024-01-31"), overrideReason: "", proposal: Self.proposal), asset)
        #expect(asset.lifecycle.stage == .ownershipConfirmed)
        #expect(asset.owners == [Self.village])
        #expect(asset.lifecycle.ownership?.rule == "004 §11")
        asset = try Self.apply(.openPublication(start: Self.date("2024-02-02")), asset)
        #expect(asset.lifecycle.stage == .underPublication)
        // Fri 2 Feb 2024: Sun 4 worked (1), 5–9 (2–6), 10–17 Spring Festival, Sun 18 worked (7).
        #expect(asset.lifecycle.openPublication?.earliestClose == Self.date("2024-02-18"))
        asset = try Self.apply(.closePublication(date: Self.date("2024-02-19")), asset)
        #expect(asset.lifecycle.stage == .published)
        // 30 working days after Mon 19 Feb: 20–23 (4), then five full weeks to Fri 29 Mar (29), Mon 1 Apr (30).
        #expect(asset.lifecycle.handoverDue == Self.date("2024-04-01"))
        #expect(asset.lifecycle.handoverDueProvisional == false)
        asset = try Self.apply(.recordHandover(date: Self.date("2024-03-20"), fromParty: "县乡村振兴局", toParty: "白马村集体经济组织",
                                               documents: [], upkeepDuties: "村两委落实管护责任人", noticeStart: nil), asset)
        #expect(asset.lifecycle.stage == .handoverPublication)
        #expect(asset.lifecycle.handover?.onTime == true)
        // Wed 20 Mar + 10 working days: 21, 22, 25–29, 1, 2, 3 Apr (Qingming 4–6 Apr off).
        #expect(asset.lifecycle.openPublication?.earliestClose == Self.date("2024-04-03"))
        asset = try Self.apply(.closePublication(date: Self.date("2024-04-03")), asset)
        #expect(asset.lifecycle.stage == .handedOver)
        let lease = Operation(mode: .lease, counterparty: "荆州市阳光农业有限公司", annualFeeFen: 960_000,
                              termStart: Self.date("2024-05-01"), termEnd: Self.date("2029-04-30"))
        asset = try Self.apply(.handOffOperation(operation: lease, date: Self.date("2024-05-01")), asset)
        #expect(asset.lifecycle.stage == .inOperation)
        #expect(asset.operation == lease)
        #expect(asset.lifecycle.inServiceSince == Self.date("2024-05-01"))
    }

    @Test func lateHandover_isRecordedAsLate() throws {
        var asset = try Self.onNotice()
        asset = try Self.apply(.closePublication(date: Self.date("2024-02-19")), asset)
        asset = try Self.apply(.recordHandover(date: Self.date("2024-04-02"), fromParty: "县乡村振兴局", toParty: "白马村",
                                               documents: [], upkeepDuties: "管护", noticeStart: nil), asset)
        #expect(asset.lifecycle.handover?.onTime == false)
    }

    @Test(arguments: [
        // (stage reached by these steps, action, words the refusal must contain)
        (0, LifecycleAction.openPublication(start: CivilDate("2024-02-02")!), "stage registered (已登记); confirm its ownership first"),
        (0, LifecycleAction.closePublication(date: CivilDate("2024-02-19")!), "stage registered"),
        (0, LifecycleAction.putInUse(date: CivilDate("2024-02-19")!), "stage registered"),
        (0, LifecycleAction.fileObjection(filed: CivilDate("2024-02-05")!, filer: "村民", content: "异议"), "objections are filed while a notice is up"),
        (1, LifecycleAction.recordHandover(date: CivilDate("2024-02-20")!, fromParty: "a", toParty: "b", documents: [], upkeepDuties: "c", noticeStart: nil),
         "stage under_publication (确权公示中); close its ownership notice first"),
        (1, LifecycleAction.closePublication(date: CivilDate("2024-02-16")!), "it can close on 2024-02-18 at the earliest"),
        (1, LifecycleAction.confirmOwnership(owners: [], date: CivilDate("2024-02-05")!, overrideReason: "", proposal: proposal),
         "correct it through an upheld objection"),
        (2, LifecycleAction.handOffOperation(operation: Operation(mode: .lease, counterparty: "x", annualFeeFen: 1, termStart: nil, termEnd: nil),
                                             date: CivilDate("2024-03-01")!), "stage published (已公示); record the handover"),
    ])
    func illegalTransition_isFailedPreconditionNamingStageAndFirstStep(steps: Int, action: LifecycleAction, words: String) throws {
        var asset = Self.asset()
        if steps >= 1 { asset = try Self.onNotice() }
        if steps >= 2 { asset = try Self.apply(.closePublication(date: Self.date("2024-02-19")), asset) }
        let error = try #require(Self.refusal(action, asset))
        #expect(error.code == .failedPrecondition)
        #expect(error.message.contains(words), "\(error.message)")
    }

    @Test func objection_mustBeResolvedBeforeClosing_dismissedRecordsReason() throws {
        var asset = try Self.onNotice()
        asset = try Self.apply(.fileObjection(filed: Self.date("2024-02-05"), filer: "村民李四", content: "应归两村共有"), asset)
        let blocked = try #require(Self.refusal(.closePublication(date: Self.date("2024-02-20")), asset))
        #expect(blocked.code == .failedPrecondition)
        #expect(blocked.message.contains("objection 1 is not resolved"))
        let noReason = try #require(Self.refusal(.resolveObjection(number: 1, outcome: .dismissed, date: Self.date("2024-02-06"), resolution: "",
                                                                   correctedOwners: [], restart: nil), asset))
        #expect(noReason.violations.map(\.field) == ["resolution"])
        asset = try Self.apply(.resolveObjection(number: 1, outcome: .dismissed, date: Self.date("2024-02-06"), resolution: "经核实项目仅在白马村实施",
                                                 correctedOwners: [], restart: nil), asset)
        #expect(asset.lifecycle.publications.last?.objections.first?.resolution == "经核实项目仅在白马村实施")
        asset = try Self.apply(.closePublication(date: Self.date("2024-02-18")), asset)
        #expect(asset.lifecycle.stage == .published)
    }

    @Test func upheldObjection_correctsOwnersAndRestartsTheNotice() throws {
        var asset = try Self.onNotice()
        asset = try Self.apply(.fileObjection(filed: Self.date("2024-02-05"), filer: "三湖村村委会", content: "三湖村出资一半"), asset)
        let corrected = [Owner(name: "白马村集体经济组织", kind: .villageCollective, adminCode: "421024101201", shareBasisPoints: 5_000),
                         Owner(name: "三湖村集体经济组织", kind: .villageCollective, adminCode: "421024101202", shareBasisPoints: 5_000)]
        asset = try Self.apply(.resolveObjection(number: 1, outcome: .upheld, date: Self.date("2024-02-07"), resolution: "按出资比例更正",
                                                 correctedOwners: corrected, restart: Self.date("2024-02-19")), asset)
        #expect(asset.owners == corrected)
        #expect(asset.lifecycle.publications.count == 2)
        #expect(asset.lifecycle.publications[0].restarted == Self.date("2024-02-07"))
        #expect(asset.lifecycle.publications[1].round == 2)
        // Mon 19 Feb + 7 working days: 20–23 (4), 26–28 (7).
        #expect(asset.lifecycle.openPublication?.earliestClose == Self.date("2024-02-28"))
        #expect(Self.refusal(.closePublication(date: Self.date("2024-02-27")), asset)?.code == .failedPrecondition)
    }

    /// With an access file, corrected owners wait for another identity; the
    /// notice holds until then and runs again from the approval.
    @Test func correctedOwners_waitForApproval_andTheNoticeRunsAgainFromIt() throws {
        var asset = try Self.onNotice()
        asset = try Self.apply(.fileObjection(filed: Self.date("2024-02-05"), filer: "三湖村村委会", content: "三湖村出资一半"), asset)
        let corrected = [Owner(name: "白马村集体经济组织", kind: .villageCollective, adminCode: "421024101201", shareBasisPoints: 5_000),
                         Owner(name: "三湖村集体经济组织", kind: .villageCollective, adminCode: "421024101202", shareBasisPoints: 5_000)]
        asset = try Self.apply(.resolveObjection(number: 1, outcome: .upheld, date: Self.date("2024-02-07"), resolution: "按出资比例更正",
                                                 correctedOwners: corrected, restart: nil, drafter: SignOffDecider(name: "xionghe-clerk", separated: true)), asset)
        #expect(asset.owners == [Self.village])
        #expect(asset.lifecycle.ownership?.correction?.owners == corrected)
        #expect(asset.lifecycle.ownership?.awaitsDecision == true)
        #expect(Self.refusal(.closePublication(date: Self.date("2024-03-01")), asset)?.message.contains("ApproveOwnership") == true)
        // A second objection on the new round, dismissed on 20 Feb: the approval may not come before it.
        asset = try Self.apply(.fileObjection(filed: Self.date("2024-02-19"), filer: "村民", content: "再议"), asset)
        asset = try Self.apply(.resolveObjection(number: 2, outcome: .dismissed, date: Self.date("2024-02-20"), resolution: "已答复",
                                                 correctedOwners: [], restart: nil), asset)
        let approver = SignOffDecider(name: "county-approver", separated: true)
        let early = Self.refusal(.decideOwnership(decision: .approve, date: Self.date("2024-02-19"), note: "", decider: approver), asset)
        #expect(early?.violations.map(\.field) == ["date"])
        let own = Self.refusal(.decideOwnership(decision: .approve, date: Self.date("2024-02-21"), note: "",
                                                decider: SignOffDecider(name: "xionghe-clerk", separated: true)), asset)
        #expect(own?.code == .permissionDenied)
        let rounds = asset.lifecycle.publications.count
        asset = try Self.apply(.decideOwnership(decision: .approve, date: Self.date("2024-02-21"), note: "", decider: approver), asset)
        #expect(asset.owners == corrected)
        #expect(asset.lifecycle.publications.count == rounds + 1)
        #expect(asset.lifecycle.openPublication?.start == Self.date("2024-02-21"))
        // Wed 21 Feb + 7 working days: 22–23 (2), 26 Feb–1 Mar (7).
        #expect(asset.lifecycle.openPublication?.earliestClose == Self.date("2024-03-01"))
        #expect(Self.refusal(.closePublication(date: Self.date("2024-02-29")), asset)?.code == .failedPrecondition)
        asset = try Self.apply(.closePublication(date: Self.date("2024-03-01")), asset)
        #expect(asset.lifecycle.stage == .published)
    }

    @Test func ownersDifferingFromTheRule_needAReason() throws {
        let other = [Owner(name: "熊河镇人民政府", kind: .townshipGovernment, adminCode: "421024101000", shareBasisPoints: 10_000)]
        let refused = try #require(Self.refusal(.confirmOwnership(owners: other, date: Self.date("2024-01-31"), overrideReason: "", proposal: Self.proposal), Self.asset()))
        #expect(refused.code == .invalidArgument)
        #expect(refused.violations.map(\.field) == ["override_reason"])
        let confirmed = try Self.apply(.confirmOwnership(owners: other, date: Self.date("2024-01-31"), overrideReason: "县政府常务会议纪要〔2024〕3号", proposal: Self.proposal), Self.asset())
        #expect(confirmed.owners == other)
        #expect(confirmed.lifecycle.ownership?.overrideReason == "县政府常务会议纪要〔2024〕3号")
        #expect(confirmed.lifecycle.ownership?.proposed == [Self.village])
    }

    @Test func badShares_areInvalidArgument() {
        let bad = [Owner(name: "甲", kind: .villageCollective, adminCode: "", shareBasisPoints: 6_000),
                   Owner(name: "乙", kind: .villageCollective, adminCode: "", shareBasisPoints: 3_000)]
        let refused = Self.refusal(.confirmOwnership(owners: bad, date: Self.date("2024-01-31"), overrideReason: "约定", proposal: Self.proposal), Self.asset())
        #expect(refused?.violations.map(\.field) == ["owners"])
    }

    @Test func futureDates_areRefused() {
        let refused = Self.refusal(.confirmOwnership(owners: [], date: Self.date("2026-12-01"), overrideReason: "", proposal: Self.proposal), Self.asset())
        #expect(refused?.violations.map(\.field) == ["date"])
    }

    @Test func provisionalValue_replacedByFinalAccounts_keepsPastDepreciation() throws {
        // 120,000.00 yuan provisional from Jan 2020 over 10 years: 1,000.00 a month.
        var asset = Self.asset(value: 12_000_000, basis: .provisional)
        asset.acquiredDate = Self.date("2020-01-15")
        asset.usefulLifeYears = 10
        asset.lifecycle.valuations = [LifecycleRules.initialValuation(of: asset, kind: .provisional)]
        asset = try Self.apply(.recordValuation(kind: .finalAccounts, date: Self.date("2021-01-10"), valueFen: 15_000_000, spendFen: 0, replacedFen: 0,
                                                basis: "竣工决算审计报告 江审〔2020〕88号", funding: [Funding(source: .centralSpecial, amountFen: 15_000_000)]), asset)
        #expect(asset.originalValueFen == 15_000_000)
        #expect(asset.lifecycle.valueBasis == .finalAccounts)
        let policy = DepreciationPolicy()
        let schedule = Depreciation.schedule(of: asset, policy: policy)
        // 2020: 12 × 100,000 = 1,200,000 charged and kept.
        #expect(schedule.prefix(12).allSatisfy { $0.chargeFen == 100_000 })
        // From Jan 2021: (15,000,000 − 1,200,000) / 108 = 127,777 a month; the last takes 13,800,000 − 107 × 127,777 = 127,861.
        #expect(schedule.dropFirst(12).dropLast().allSatisfy { $0.chargeFen == 127_777 })
        #expect(schedule.last?.chargeFen == 127_861)
        #expect(schedule.last?.accumulatedFen == 15_000_000)
        // As of 31 Dec 2021: 1,200,000 + 12 × 127,777 = 2,733,324.
        let asOf = Depreciation.asOf(Self.date("2021-12-31"), asset: asset, policy: policy)
        #expect(asOf.accumulatedFen == 2_733_324)
        #expect(asOf.netValueFen == 12_266_676)
        // Final accounts replace only a provisional value.
        let again = Self.refusal(.recordValuation(kind: .finalAccounts, date: Self.date("2022-01-10"), valueFen: 1, spendFen: 0, replacedFen: 0,
                                                  basis: "x", funding: [Funding(source: .centralSpecial, amountFen: 1)]), asset)
        #expect(again?.code == .failedPrecondition)
    }

    @Test func renovation_isOldValuePlusSpendLessReplacedPart() throws {
        let asset = try Self.apply(.recordValuation(kind: .renovation, date: Self.date("2025-03-01"), valueFen: 0, spendFen: 3_000_000, replacedFen: 1_000_000,
                                                    basis: "改扩建验收", funding: [Funding(source: .centralSpecial, amountFen: 12_000_000),
                                                                                  Funding(source: .localFiscal, amountFen: 2_000_000)]), Self.asset())
        #expect(asset.originalValueFen == 14_000_000)
        #expect(asset.lifecycle.valuations.map(\.kind) == [.finalAccounts, .renovation])
        let mismatch = Self.refusal(.recordValuation(kind: .renovation, date: Self.date("2025-03-01"), valueFen: 0, spendFen: 3_000_000, replacedFen: 1_000_000,
                                                     basis: "改扩建验收", funding: [Funding(source: .centralSpecial, amountFen: 12_000_000)]), Self.asset())
        #expect(mismatch?.violations.map(\.field) == ["funding"])
    }
}

struct DepreciationPolicyTests {
    static func asset(category: AssetCategory, subType: String, life: Int, form: AssetForm = .fixed) -> Asset {
        Asset(name: "x", category: category, subType: subType, form: form, projectId: "P", adminCode: "421024101201",
              acquiredDate: CivilDate("2020-01-01")!, usefulLifeYears: life, originalValueFen: 1_200_000,
              funding: [Funding(source: .centralSpecial, amountFen: 1_200_000)], owners: [])
    }

    @Test(arguments: [
        (AssetCategory.operating, "光伏电站", 3, AssetForm.fixed, true, 5),      // raised to the class minimum
        (AssetCategory.operating, "扶贫车间", 60, AssetForm.fixed, true, 60),    // above the minimum: kept
        (AssetCategory.operating, "未列明", 7, AssetForm.fixed, true, 7),         // no class: as declared
        (AssetCategory.publicWelfare, "村组道路", 20, AssetForm.fixed, false, 0), // 004 §17: not depreciated
        (AssetCategory.household, "圈舍", 10, AssetForm.fixed, false, 0),
        (AssetCategory.operating, "入股", 10, AssetForm.investment, false, 0),
        (AssetCategory.operating, "光伏电站", 0, AssetForm.current, false, 0),
    ])
    func basis_followsThePolicy(category: AssetCategory, subType: String, life: Int, form: AssetForm, depreciated: Bool, years: Int) {
        let basis = Depreciation.basis(of: Self.asset(category: category, subType: subType, life: life, form: form), policy: DepreciationPolicy())
        #expect(basis.depreciated == depreciated, "\(basis.reason)")
        #expect(basis.lifeYears == years)
    }

    @Test func publicWelfare_depreciatesWhenThePolicySaysSo() {
        let policy = DepreciationPolicy(depreciatePublicWelfare: true)
        #expect(Depreciation.basis(of: Self.asset(category: .publicWelfare, subType: "村组道路", life: 20), policy: policy).depreciated)
    }

    @Test func closedForm_equalsTheSchedule_everyMonth() {
        // Deterministic pseudo-random cases: values, lives, changes and both start conventions.
        var seed: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        for _ in 0..<200 {
            let acquired = CivilDate(year: 2016 + next(8), month: 1 + next(12), day: 1 + next(28))!
            let life = 1 + next(6)
            var values = [ValueChange(effective: acquired, valueFen: Int64(next(50_000_000)))]
            for _ in 0..<next(4) {
                values.append(ValueChange(effective: values.last!.effective.adding(days: next(900)), valueFen: Int64(next(60_000_000))))
            }
            let start: DepreciationStart = next(2) == 0 ? .monthAcquired : .monthAfter
            let schedule = Depreciation.schedule(acquired: acquired, usefulLifeYears: life, values: values, start: start)
            var probe = CivilDate(year: acquired.year, month: acquired.month, day: 1)!.adding(days: -40)
            while probe.year <= acquired.year + life + 2 {
                let expected = Depreciation.asOf(probe, schedule: schedule, valueFen: values[0].valueFen).accumulatedFen
                let closed = Depreciation.accumulated(asOf: probe, acquired: acquired, usefulLifeYears: life, values: values, start: start)
                #expect(closed == expected, "acquired \(acquired) life \(life) values \(values) at \(probe)")
                if closed != expected { return }
                probe = probe.adding(days: 31)
            }
        }
    }
}

/// Hostile values found in review: each is refused, none traps.
struct LifecycleHostileInputTests {
    static let calendar = WorkingDayCalendar.builtIn()

    @Test func datesAtTheEndOfTime_areRefusedNotTrapped() throws {
        var asset = LifecycleRulesTests.asset()
        asset = try LifecycleRulesTests.apply(.confirmOwnership(owners: [], date: CivilDate("2024-01-31")!, overrideReason: "", proposal: LifecycleRulesTests.proposal), asset)
        let refused = LifecycleRulesTests.refusal(.openPublication(start: CivilDate.last), asset)
        #expect(refused?.violations.map(\.field) == ["start"])
        // The calendar itself stops at the last day instead of trapping.
        let result = Self.calendar.adding(workingDays: 10, to: CivilDate("9999-12-28")!)
        #expect(result.date == CivilDate.last)
        #expect(result.provisional)
        #expect(CivilDate.last.adding(days: 5) == CivilDate.last)
        #expect(CivilDate.first.adding(days: -5) == CivilDate.first)
    }

    @Test func hugeRenovationSpend_isRefusedNotTrapped() {
        let refused = LifecycleRulesTests.refusal(.recordValuation(kind: .renovation, date: CivilDate("2025-01-01")!, valueFen: 0, spendFen: .max, replacedFen: 0,
                                                                   basis: "x", funding: [Funding(source: .centralSpecial, amountFen: 1)]), LifecycleRulesTests.asset())
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.violations.map(\.field).contains("spend_fen") == true)
    }

    @Test func valueBelowDepreciationAlreadyCharged_isRefused() {
        // 120,000.00 yuan over 20 years from June 2023, operating: 50,000 fen a month; by March 2025, 21 months = 1,050,000 fen.
        let refused = LifecycleRulesTests.refusal(.recordValuation(kind: .appraisal, date: CivilDate("2025-03-01")!, valueFen: 1_000_000, spendFen: 0, replacedFen: 0,
                                                                   basis: "评估", funding: [Funding(source: .centralSpecial, amountFen: 1_000_000)]), LifecycleRulesTests.asset())
        #expect(refused?.violations.map(\.field) == ["value_fen"])
        #expect(refused?.message.contains("1 field") == true)
    }

    @Test func correctedOwners_areNamedAsTheRequestNamesThem() throws {
        var asset = try LifecycleRulesTests.onNotice()
        asset = try LifecycleRulesTests.apply(.fileObjection(filed: CivilDate("2024-02-05")!, filer: "甲", content: "乙"), asset)
        let refused = LifecycleRulesTests.refusal(.resolveObjection(number: 1, outcome: .upheld, date: CivilDate("2024-02-06")!, resolution: "更正",
                                                                    correctedOwners: [Owner(name: "", kind: .villageCollective, adminCode: "", shareBasisPoints: 9_000)],
                                                                    restart: nil), asset)
        #expect(refused?.violations.map(\.field) == ["corrected_owners[0].name", "corrected_owners"])
    }

    @Test func ledgerTotalsThatOverflow_areOutOfRange() {
        let big = Asset(name: "x", category: .publicWelfare, projectId: "P", adminCode: "421024101201", acquiredDate: CivilDate("2020-01-01")!,
                        usefulLifeYears: 0, originalValueFen: RecordLimits.amountMaxFen, funding: [], owners: [])
        #expect(throws: LedgerError.self) {
            try LedgerSummary.compute(Array(repeating: big, count: 9_300), policy: DepreciationPolicy(), asOf: CivilDate("2026-01-01")!)
        }
    }

    @Test func duplicateContributions_addUpPerVillage() {
        let a = OwnershipRulesTests.villageA
        let b = OwnershipRulesTests.villageB
        let proposal = OwnershipRules.propose(for: OwnershipRulesTests.asset(at: OwnershipRulesTests.township), location: OwnershipRulesTests.township,
                                              county: OwnershipRulesTests.county,
                                              contributions: [VillageContribution(village: a, amountFen: 100), VillageContribution(village: a, amountFen: 100),
                                                              VillageContribution(village: b, amountFen: 100)])
        #expect(proposal.owners.map(\.adminCode) == [a.code, b.code])
        #expect(proposal.owners.map(\.shareBasisPoints) == [6_667, 3_333])
    }
}

struct DepreciationFastPathTests {
    @Test func singleValueFastPath_equalsTheSchedule() {
        for (category, subType, life, start) in [(AssetCategory.operating, "光伏电站", 3, DepreciationStart.monthAcquired),
                                                 (.operating, "未列明", 7, .monthAfter), (.publicWelfare, "村组道路", 20, .monthAcquired)] {
            var asset = DepreciationPolicyTests.asset(category: category, subType: subType, life: life)
            asset.originalValueFen = 1_234_567
            asset.funding = [Funding(source: .centralSpecial, amountFen: 1_234_567)]
            for policy in [DepreciationPolicy(start: start), DepreciationPolicy(start: start, depreciatePublicWelfare: true)] {
                let schedule = Depreciation.schedule(of: asset, policy: policy)
                var probe = CivilDate("2019-11-15")!
                while probe.year < 2031 {
                    let expected = Depreciation.asOf(probe, schedule: schedule, valueFen: asset.originalValueFen)
                    let fast = Depreciation.asOf(probe, asset: asset, policy: policy)
                    #expect(fast.accumulatedFen == expected.accumulatedFen, "\(subType) \(start) \(probe)")
                    #expect(fast.netValueFen == expected.netValueFen)
                    probe = probe.adding(days: 30)
                }
            }
        }
    }
}

/// A scan decodes only the assets `RiskRules.mayFlag` picks from their
/// columns: every state the life cycle reaches, with every usage status,
/// is checked years later (every notice and handover long overdue).
struct RiskCandidateTests {
    typealias L = LifecycleRulesTests

    /// The states of the life cycle, objections and restarts included.
    static func states() throws -> [Asset] {
        var states = [L.asset()]
        var asset = try L.apply(.confirmOwnership(owners: [], date: L.date("2024-01-31"), overrideReason: "", proposal: L.proposal), L.asset())
        states.append(asset)
        asset = try L.apply(.openPublication(start: L.date("2024-02-02")), asset)
        states.append(asset)
        asset = try L.apply(.fileObjection(filed: L.date("2024-02-05"), filer: "三湖村村委会", content: "三湖村出资一半"), asset)
        states.append(asset)
        asset = try L.apply(.resolveObjection(number: 1, outcome: .upheld, date: L.date("2024-02-07"), resolution: "按出资比例更正",
                                              correctedOwners: [L.village], restart: L.date("2024-02-19")), asset)
        states.append(asset)
        asset = try L.apply(.closePublication(date: L.date("2024-03-01")), asset)
        states.append(asset)
        asset = try L.apply(.recordHandover(date: L.date("2024-03-20"), fromParty: "县乡村振兴局", toParty: "白马村集体经济组织",
                                            documents: [], upkeepDuties: "村两委落实管护责任人", noticeStart: nil), asset)
        states.append(asset)
        asset = try L.apply(.closePublication(date: L.date("2024-04-03")), asset)
        states.append(asset)
        var inUse = try L.apply(.putInUse(date: L.date("2024-05-01")), asset)
        states.append(inUse)
        let lease = Operation(mode: .lease, counterparty: "荆州市阳光农业有限公司", annualFeeFen: 960_000,
                              termStart: L.date("2024-05-01"), termEnd: L.date("2029-04-30"))
        states.append(try L.apply(.handOffOperation(operation: lease, date: L.date("2024-05-01")), asset))
        inUse.lifecycle.stage = .disposed
        states.append(inUse)
        return states
    }

    @Test func everyAssetTheRulesCanFlag_isACandidate() throws {
        let later = RiskRules(configuration: RiskConfiguration(), today: L.date("2031-01-01"))
        var flagged = 0
        for state in try Self.states() {
            for status in UsageStatus.allCases {
                var asset = state
                asset.usageStatus = status
                let found = later.conditions(asset: asset, contracts: [], operators: { _ in nil })
                if !found.isEmpty { flagged += 1 }
                #expect(found.isEmpty || RiskRules.mayFlag(AssetFacts(asset), contracted: false),
                        "stage \(asset.lifecycle.stage.rawValue), \(status.rawValue): \(found.map(\.kind.rawValue))")
            }
        }
        // The check saw notices, handovers and idle assets flagged.
        #expect(flagged >= 5)

        // Operated under a contract whose operator lost money two quarters
        // running and whose term is ending: where the record is not needed,
        // the facts give the same conditions as the record.
        let rules = RiskRulesTests.rules
        let loss = RiskRulesTests.reports([RiskRulesTests.report("2026Q2", profit: -10), RiskRulesTests.report("2026Q3", output: 400_000, profit: -20),
                                           RiskRulesTests.report("2025Q3")])
        let ending = OperationContract(id: "HT00000001", assetId: "ZC00000001", entityId: "ZT00000001", mode: .lease,
                                       start: L.date("2025-01-01"), end: L.date("2026-12-20"), committedPoorLabourers: 10, committedHouseholds: 20)
        let operators: (String) -> (OperatingEntity, ReportsByQuarter)? = { _ in (RiskRulesTests.entity, loss) }
        var compared = 0
        for state in try Self.states() {
            for status in UsageStatus.allCases {
                var asset = state
                asset.usageStatus = status
                let facts = AssetFacts(asset)
                guard !RiskRules.needsRecord(facts) else { continue }
                let whole = rules.conditions(asset: asset, contracts: [ending], operators: operators)
                #expect(whole == rules.operationConditions(asset: facts, contracts: [ending], operators: operators), "\(facts.stage)")
                if !whole.isEmpty { compared += 1 }
            }
        }
        #expect(compared >= 3, "loss, decline and expiry were compared on the stages that need no record")
        // A contracted asset is a candidate at any stage but disposed.
        #expect(RiskRules.mayFlag(AssetFacts(L.asset()), contracted: true))
        #expect(!RiskRules.mayFlag(AssetFacts(L.asset()), contracted: false))
    }
}
