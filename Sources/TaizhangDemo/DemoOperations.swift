// The demo county's operating entities 带贫主体, their contracts on the first
// operating assets, and four quarters of reports before `today`, shaped so a
// risk run finds some entities green, some yellow (this quarter's targets
// missed, a report missing) and some red (missed two quarters running, a
// loss), and one contract close to its end.

import TaizhangProto

/// How a demo entity has been doing.
public enum DemoProfile: String, Sendable, CaseIterable {
    case healthy, missedOnce, missedTwice, lossMaking, reportMissing, expiring
}

/// One demo entity with its contract and reports (entity ids filled in by the loader).
public struct DemoOperation: Sendable {
    public var profile: DemoProfile
    public var entity: Taizhang_Ledger_V1_OperatingEntity
    /// Index into the county's assets (an operating one).
    public var assetIndex: Int
    public var contract: Taizhang_Ledger_V1_OperationContract
    public var reports: [Taizhang_Ledger_V1_QuarterReport]
}

extension DemoCounty {
    /// The demo operations as of `today` (year, month, day in China Standard Time).
    public func operations(today: (year: Int, month: Int, day: Int)) -> [DemoOperation] {
        let profiles: [DemoProfile] = [.healthy, .missedOnce, .missedTwice, .healthy, .lossMaking, .reportMissing,
                                       .healthy, .missedOnce, .expiring, .healthy, .missedTwice, .healthy]
        let kinds: [Taizhang_Ledger_V1_EntityKind] = [.entityCooperative, .entityEnterprise, .entityLargeHousehold, .entityVillageCollective]
        let goods = ["蔬菜", "水产", "稻虾", "光伏", "食用菌", "中药材"]
        let operating = assets.indices.filter { assets[$0].category == .operating }
        var random = SplitMix(seed: 2021)
        let current = today.year * 4 + (today.month - 1) / 3
        func quarter(_ back: Int) -> (year: Int, number: Int) { ((current - back) / 4, (current - back) % 4 + 1) }
        func lastDay(_ q: (year: Int, number: Int)) -> String {
            let month = q.number * 3
            return "\(q.year)-\(pad(month))-\([3: 31, 6: 30, 9: 30, 12: 31][month]!)"
        }
        let todayText = "\(today.year)-\(pad(today.month))-\(pad(today.day))"
        var out: [DemoOperation] = []
        for (number, profile) in profiles.enumerated() where number < operating.count {
            let index = operating[number]
            let asset = assets[index]
            let kind = kinds[number % kinds.count]
            var entity = Taizhang_Ledger_V1_OperatingEntity()
            let good = goods[number % goods.count]
            switch kind {
            case .entityCooperative: entity.name = "江陵县\(asset.name.prefix(3))\(good)专业合作社"
            case .entityEnterprise: entity.name = "江陵县\(good)农业发展有限公司\(number)"
            case .entityLargeHousehold: entity.name = "\(["张", "李", "王", "刘"][number % 4])\(["建国", "春生", "志强", "秀英"][number % 4])\(good)种养大户"
            default: entity.name = "\(asset.name.prefix(3))股份经济合作社"
            }
            entity.kind = kind
            entity.adminCode = asset.adminCode
            if kind == .entityCooperative || kind == .entityEnterprise {
                entity.creditCode = DemoCounty.creditCode(kind == .entityCooperative ? "93" : "91", random: &random)
            }
            entity.legalRepresentative = ["周光明", "吴桂兰", "郑国华", "孙德胜"][number % 4]
            var contract = Taizhang_Ledger_V1_OperationContract()
            contract.assetID = ""
            contract.mode = [.lease, .contracting, .equity, .entrusted][number % 4]
            let start = quarter(4)
            contract.start = "\(start.year)-\(pad((start.number - 1) * 3 + 1))-01"
            contract.end = profile == .expiring ? DemoCounty.add(days: 60, to: today) : "\(today.year + 3)-12-31"
            contract.committedPoorLabourers = Int32(4 + number % 5)
            contract.committedHouseholds = Int32(10 + (number * 7) % 20)
            let rent = asset.originalValueFen * 6 / 100
            var payment = Taizhang_Ledger_V1_PaymentDue()
            payment.kind = contract.mode == .equity ? .paymentDividend : .paymentRent
            payment.dueDate = lastDay(quarter(2))
            payment.amountFen = max(100, rent)
            contract.payments = [payment]
            var reports: [Taizhang_Ledger_V1_QuarterReport] = []
            for back in stride(from: 4, through: 1, by: -1) {
                if profile == .reportMissing, back == 1 { continue }
                let q = quarter(back)
                var report = Taizhang_Ledger_V1_QuarterReport()
                report.quarter = "\(q.year)Q\(q.number)"
                let target = Int64(400_000 + Int(random.next() % 8) * 100_000) * 100
                let missed = (profile == .missedOnce && back == 1) || (profile == .missedTwice && back <= 2) || (profile == .lossMaking && back <= 2)
                report.targetOutputValueFen = target
                report.targetSalesRevenueFen = target * 8 / 10
                report.outputValueFen = missed ? target * 55 / 100 : target * 110 / 100
                report.salesRevenueFen = missed ? target * 40 / 100 : target * 90 / 100
                report.salesChannels = missed ? ["本地批发"] : ["电商", "商超", "订单收购"]
                report.profitFen = profile == .lossMaking && back <= 2 ? -target / 10 : target / 12
                report.paymentsDueFen = back == 2 ? payment.amountFen : 0
                report.paymentsPaidFen = back == 2 && profile != .missedTwice ? payment.amountFen : 0
                report.poorLabourersEmployed = missed ? contract.committedPoorLabourers / 2 : contract.committedPoorLabourers
                report.householdsLinked = missed ? contract.committedHouseholds / 2 : contract.committedHouseholds
                report.supportMeasures = missed ? [] : ["技能培训", "技术指导", "订单帮扶"]
                report.dividendsPaidFen = contract.mode == .equity && !missed ? target / 50 : 0
                let due = DemoCounty.add(days: 10, toDate: lastDay(q))
                report.submittedOn = due > todayText ? todayText : due
                reports.append(report)
            }
            out.append(DemoOperation(profile: profile, entity: entity, assetIndex: index, contract: contract, reports: reports))
        }
        return out
    }

    /// A valid unified social credit code (GB 32100-2015) registered in the county.
    static func creditCode(_ prefix: String, random: inout SplitMix) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
        var characters = Array(prefix + "421024MA")
        while characters.count < 17 { characters.append(alphabet[Int(random.next() % 31)]) }
        var sum = 0
        for (position, character) in characters.enumerated() { sum += alphabet.firstIndex(of: character)! * weights[position] }
        characters.append(alphabet[(31 - sum % 31) % 31])
        return String(characters)
    }

    static func add(days: Int, to today: (year: Int, month: Int, day: Int)) -> String {
        add(days: days, toDate: "\(today.year)-\(pad(today.month))-\(pad(today.day))")
    }

    /// "YYYY-MM-DD" plus `days` (which may be negative).
    public static func add(days: Int, toDate text: String) -> String {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        // Howard Hinnant's days-from-civil and civil-from-days.
        let (y0, m0, d0) = (parts[0] - (parts[1] <= 2 ? 1 : 0), parts[1], parts[2])
        let era = (y0 >= 0 ? y0 : y0 - 399) / 400
        let yoe = y0 - era * 400
        let doy = (153 * (m0 > 2 ? m0 - 3 : m0 + 9) + 2) / 5 + d0 - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let z = era * 146_097 + doe + days
        let era2 = (z >= 0 ? z : z - 146_096) / 146_097
        let doe2 = z - era2 * 146_097
        let yoe2 = (doe2 - doe2 / 1460 + doe2 / 36524 - doe2 / 146_096) / 365
        let doy2 = doe2 - (365 * yoe2 + yoe2 / 4 - yoe2 / 100)
        let mp = (5 * doy2 + 2) / 153
        let day = doy2 - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe2 + era2 * 400 + (month <= 2 ? 1 : 0)
        return "\(year)-\(pad(month))-\(pad(day))"
    }
}

private func pad(_ number: Int) -> String { number < 10 ? "0\(number)" : String(number) }
