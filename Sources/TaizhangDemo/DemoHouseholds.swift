// The demo county's beneficiary register (issue 23): six households in each
// of its 48 villages, with valid (made-up) GB 11643 ID numbers, phones for
// most, members, and the categories and labour capacities a county's
// register holds; a few changed since they were registered.

import TaizhangProto

extension DemoCounty {
    /// A demo household: its registration and, for some, a later change.
    public struct DemoHousehold: Sendable {
        public var registration: Taizhang_Household_V1_RegisterHouseholdRequest
        /// A change of category to apply after it is registered (id and version filled in by the loader).
        public var change: Taizhang_Household_V1_UpdateHouseholdRequest?
    }

    /// Six households in each village, the same for the same seed.
    public func households(seed: UInt64 = 2016) -> [DemoHousehold] {
        var random = SplitMix(seed: seed ^ 0x4848)
        let villages = units.filter { $0.level == .village }
        let givenNames = ["桂英", "德福", "秀兰", "长海", "建华", "玉珍", "国强", "春梅", "志明", "凤英", "家兴", "翠兰"]
        let relations = ["配偶", "子女", "子女", "父母", "孙子女"]
        let surnames = DemoKinds.surnames
        var out: [DemoHousehold] = []
        for (v, village) in villages.enumerated() {
            for h in 0..<6 {
                let number = v * 6 + h
                let year = 1940 + Int(random.next() % 50), month = 1 + Int(random.next() % 12), day = 1 + Int(random.next() % 28)
                let first17 = "421024" + String(year) + Self.twoDigits(month) + Self.twoDigits(day) + Self.threeDigits(100 + number % 900)
                let category: Taizhang_Household_V1_HouseholdCategory
                switch number % 16 {
                case 3: category = .unstableLifted
                case 7: category = .edgeAtRisk
                case 11: category = .suddenHardship
                case 15: category = number % 32 == 15 ? .newlyPoor : .returnedToPoverty
                default: category = .lifted
                }
                let labour: Taizhang_Household_V1_LabourCapacity = [.none, .weak, .full, .full][Int(random.next() % 4)]
                var request = Taizhang_Household_V1_RegisterHouseholdRequest()
                request.household.villageCode = village.code
                let surname = surnames[Int(random.next() % UInt64(surnames.count))]
                request.household.headName = surname + givenNames[number % givenNames.count]
                request.household.idNumber = first17 + String(Self.checkCharacter(first17))
                if number % 5 != 4 { request.household.phone = "139" + Self.fourDigits(number) + Self.fourDigits(Int(random.next() % 10_000)) }
                let memberCount = Int(random.next() % 4)
                request.household.members = (0..<memberCount).map { index -> Taizhang_Household_V1_HouseholdMember in
                    var member = Taizhang_Household_V1_HouseholdMember()
                    let name: String = surnames[(number + index) % surnames.count] + givenNames[(number + index + 5) % givenNames.count]
                    member.name = name
                    member.relation = relations[index % relations.count]
                    return member
                }
                request.household.labourCapacity = labour
                request.household.category = category
                request.date = "2021-0\(1 + number % 9)-15"
                request.reason = category == .lifted ? "脱贫户建档立卡信息转入" : "动态监测识别纳入"
                var change: Taizhang_Household_V1_UpdateHouseholdRequest?
                if number % 23 == 5, category != .suddenHardship {
                    var update = Taizhang_Household_V1_UpdateHouseholdRequest()
                    update.household = request.household
                    (update.household.idNumber, update.household.phone) = ("", "")
                    update.household.category = .suddenHardship
                    update.date = "2026-07-20"
                    update.reason = "汛期洪涝灾害，房屋受损"
                    change = update
                }
                out.append(DemoHousehold(registration: request, change: change))
            }
        }
        return out
    }

    /// GB 11643's check character (ISO 7064 MOD 11-2) of 17 digits.
    public static func checkCharacter(_ first17: String) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(first17, weights).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
        return Array("10X98765432")[sum % 11]
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
    static func threeDigits(_ value: Int) -> String { String(repeating: "0", count: max(0, 3 - String(value).count)) + String(value) }
    static func fourDigits(_ value: Int) -> String { String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value) }
}
