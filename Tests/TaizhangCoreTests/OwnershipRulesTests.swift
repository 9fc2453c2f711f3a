// Default owners (004 §10–14) and exact share splits, hand-worked.

import Testing
@testable import TaizhangCore

struct OwnershipRulesTests {
    static let county = AdminUnit(code: "421024000000", name: "江陵县", level: .county, parentCode: "")
    static let township = AdminUnit(code: "421024101000", name: "熊河镇", level: .township, parentCode: county.code)
    static let villageA = AdminUnit(code: "421024101201", name: "白马村", level: .village, parentCode: township.code)
    static let villageB = AdminUnit(code: "421024101202", name: "三湖村", level: .village, parentCode: township.code)
    static let villageC = AdminUnit(code: "421024101203", name: "太湖村", level: .village, parentCode: township.code)

    static func asset(category: AssetCategory = .operating, subType: String = "光伏电站", form: AssetForm = .fixed,
                      at unit: AdminUnit = villageA, beneficiary: String = "", department: String = "") -> Asset {
        Asset(name: "资产", category: category, subType: subType, form: form, projectId: "P1", adminCode: unit.code,
              acquiredDate: CivilDate("2020-05-01")!, usefulLifeYears: 20, originalValueFen: 100_000,
              funding: [Funding(source: .centralSpecial, amountFen: 100_000)], owners: [], beneficiary: beneficiary,
              supervisingDepartment: department)
    }

    @Test(arguments: [
        // amounts, expected basis points (largest remainder; ties to the larger amount, then the earlier).
        ([Int64(1), 1, 1], [3_334, 3_333, 3_333]),
        ([Int64(2), 1], [6_667, 3_333]),
        ([Int64(1), 1, 1, 1, 1, 1, 1], [1_429, 1_429, 1_429, 1_429, 1_428, 1_428, 1_428]),
        ([Int64(300_000), 200_000, 500_000], [3_000, 2_000, 5_000]),
        ([Int64(1), 2, 1, 2], [1_667, 3_333, 1_667, 3_333]),
        ([Int64(1), 999_999], [1, 9_999]),
        ([Int64(3), 3, 1], [4_286, 4_286, 1_428]),
        ([Int64(0), 0], []),
    ])
    func splitShares_isExactAndDeterministic(amounts: [Int64], expected: [Int]) {
        let shares = OwnershipRules.splitShares(amounts)
        #expect(shares == expected)
        if !shares.isEmpty { #expect(shares.reduce(0, +) == 10_000) }
    }

    @Test func splitShares_ofHugeAmounts_doesNotOverflow() {
        let shares = OwnershipRules.splitShares([RecordLimits.amountMaxFen, RecordLimits.amountMaxFen / 3])
        #expect(shares == [7_500, 2_500])
    }

    @Test func singleVillage_isOwnedByItsCollective_004_11() {
        let proposal = OwnershipRules.propose(for: Self.asset(), location: Self.villageA, county: Self.county)
        #expect(proposal.rule == "004 §11")
        #expect(proposal.owners == [Owner(name: "白马村集体经济组织", kind: .villageCollective, adminCode: Self.villageA.code, shareBasisPoints: 10_000)])
    }

    @Test func crossVillage_isSplitByFunding_004_12() {
        let proposal = OwnershipRules.propose(for: Self.asset(at: Self.township), location: Self.township, county: Self.county,
                                              contributions: [VillageContribution(village: Self.villageA, amountFen: 200_000),
                                                              VillageContribution(village: Self.villageB, amountFen: 100_000),
                                                              VillageContribution(village: Self.villageC, amountFen: 100_000)])
        #expect(proposal.rule == "004 §12")
        #expect(proposal.owners.map(\.shareBasisPoints) == [5_000, 2_500, 2_500])
        #expect(proposal.owners.map(\.adminCode) == [Self.villageA.code, Self.villageB.code, Self.villageC.code])
    }

    @Test func householdAsset_isOwnedByTheHousehold_004_14() {
        let proposal = OwnershipRules.propose(for: Self.asset(category: .household, subType: "圈舍", beneficiary: "张三户"),
                                              location: Self.villageA, county: Self.county)
        #expect(proposal.rule == "004 §14")
        #expect(proposal.owners.map(\.name) == ["张三户"])
        #expect(proposal.owners.first?.kind == .household)
    }

    @Test(arguments: [("村组道路", ""), ("桥梁", ""), ("护栏", "县交通运输局")])
    func transport_isOwnedByTheCountyGovernment_004_10(subType: String, department: String) {
        let proposal = OwnershipRules.propose(for: Self.asset(category: .publicWelfare, subType: subType, department: department),
                                              location: Self.villageA, county: Self.county)
        #expect(proposal.rule == "004 §10")
        #expect(proposal.owners == [Owner(name: "江陵县人民政府", kind: .countyGovernment, adminCode: Self.county.code, shareBasisPoints: 10_000)])
    }

    @Test func investment_hasNoDefault_004_13() {
        let proposal = OwnershipRules.propose(for: Self.asset(form: .investment), location: Self.villageA, county: Self.county)
        #expect(proposal.rule == "004 §13")
        #expect(proposal.owners.isEmpty)
    }

    @Test func aboveVillageLevel_withoutContributions_hasNoDefault() {
        let proposal = OwnershipRules.propose(for: Self.asset(at: Self.township), location: Self.township, county: Self.county)
        #expect(proposal.owners.isEmpty)
    }
}
