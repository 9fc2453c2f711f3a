// A deterministic demo county shaped like Jiangling county in seed 003:
// 721 assets (214 operating, 497 public-welfare, 10 household) in eight
// townships and their villages, formed by projects of 2016–2021 with
// realistic funding mixes. The same seed always gives the same ledger.

import TaizhangProto

/// The demo county's records, ready to send.
public struct DemoCounty: Sendable {
    public var units: [Taizhang_Ledger_V1_AdminUnit] = []
    public var projects: [Taizhang_Ledger_V1_Project] = []
    public var assets: [Taizhang_Ledger_V1_Asset] = []

    /// The county's code (江陵县, 421024).
    public static let countyCode = "421024000000"

    /// Builds the county: `operating`, `publicWelfare` and `household` assets.
    public init(operating: Int = 214, publicWelfare: Int = 497, household: Int = 10, seed: UInt64 = 2016) {
        var random = SplitMix(seed: seed)
        let townshipNames = Self.townshipNames
        let villagesByTownship: [[Taizhang_Ledger_V1_AdminUnit]]
        (units, villagesByTownship) = Self.adminUnits()
        let (projects, projectMix, projectsByTownship) = Self.projects(units: units)
        self.projects = projects
        typealias K = DemoKinds
        var plan: [DemoKinds.Kind] = []
        for index in 0..<operating { plan.append(K.operatingKinds[index % K.operatingKinds.count]) }
        for index in 0..<publicWelfare { plan.append(K.publicKinds[index % K.publicKinds.count]) }
        for index in 0..<household { plan.append(K.householdKinds[index % K.householdKinds.count]) }

        for (index, kind) in plan.enumerated() {
            let t = Int(random.next() % UInt64(townshipNames.count))
            let villages = villagesByTownship[t]
            let village = villages[Int(random.next() % UInt64(villages.count))]
            let project = projectsByTownship[t][Int(random.next() % UInt64(projectsByTownship[t].count))]
            assets.append(Self.asset(index, kind: kind, village: village, villages: villages, project: project,
                                     mix: projectMix[project.id]!, random: &random))
        }
    }

    static let townshipNames = ["郝穴镇", "熊河镇", "白马寺镇", "沙岗镇", "普济镇", "资市镇", "马家寨乡", "秦市乡"]

    /// The county, its eight townships and six villages in each.
    private static func adminUnits() -> ([Taizhang_Ledger_V1_AdminUnit], [[Taizhang_Ledger_V1_AdminUnit]]) {
        var units: [Taizhang_Ledger_V1_AdminUnit] = []
        var county = Taizhang_Ledger_V1_AdminUnit()
        county.code = DemoCounty.countyCode
        county.name = "江陵县"
        county.level = .county
        units.append(county)

        let townshipNames = Self.townshipNames
        let first = ["新", "长", "黄", "白", "青", "丰", "太", "永", "联", "红", "合", "三", "和", "观", "杨", "柳"]
        let second = ["湖", "河", "桥", "岭", "港", "垸", "台", "湾", "堤", "庙", "林", "岗"]
        var villagesByTownship: [[Taizhang_Ledger_V1_AdminUnit]] = []
        for (t, townshipName) in townshipNames.enumerated() {
            var township = Taizhang_Ledger_V1_AdminUnit()
            township.code = "421024" + String(100 + t) + "000"
            township.name = townshipName
            township.level = .township
            township.parentCode = county.code
            units.append(township)
            var villages: [Taizhang_Ledger_V1_AdminUnit] = []
            for v in 0..<6 {
                var village = Taizhang_Ledger_V1_AdminUnit()
                village.code = "421024" + String(100 + t) + String(201 + v)
                village.name = first[(t * 6 + v) % first.count] + second[(t * 5 + v * 7) % second.count] + "村"
                village.level = .village
                village.parentCode = township.code
                villages.append(village)
                units.append(village)
            }
            villagesByTownship.append(villages)
        }
        return (units, villagesByTownship)
    }

    /// 80 projects of 2016–2021 over the townships, each with its funding mix.
    private static func projects(units: [Taizhang_Ledger_V1_AdminUnit])
        -> ([Taizhang_Ledger_V1_Project], [String: [(Taizhang_Ledger_V1_FundingSource, Int)]], [[Taizhang_Ledger_V1_Project]]) {
        let townshipNames = Self.townshipNames
        var projects: [Taizhang_Ledger_V1_Project] = []
        let sourceMixes: [[(Taizhang_Ledger_V1_FundingSource, Int)]] = [
            [(.centralSpecial, 60), (.integrated, 30), (.localFiscal, 10)],
            [(.integrated, 70), (.localFiscal, 30)],
            [(.centralSpecial, 50), (.industry, 30), (.socialDonation, 20)],
            [(.relocation, 80), (.localGovernmentDebt, 20)],
            [(.financial, 40), (.integrated, 40), (.localFiscal, 20)],
            [(.centralSpecial, 100)],
        ]
        let departments = ["县交通运输局", "县水利和湖泊局", "县农业农村局", "县发展和改革局", "县乡村振兴局"]
        var projectMix: [String: [(Taizhang_Ledger_V1_FundingSource, Int)]] = [:]
        var projectsByTownship: [[Taizhang_Ledger_V1_Project]] = Array(repeating: [], count: townshipNames.count)
        for index in 0..<80 {
            let t = index % townshipNames.count
            var project = Taizhang_Ledger_V1_Project()
            project.year = Int32(2016 + index % 6)
            project.id = "JL-\(project.year)-\(String(1000 + index).dropFirst())"
            project.name = "\(townshipNames[t])\(project.year)年度扶贫项目\(index / townshipNames.count + 1)"
            project.implementingUnit = departments[index % departments.count]
            project.adminCode = units[1 + t * 7].code
            let mix = sourceMixes[index % sourceMixes.count]
            projectMix[project.id] = mix
            project.funding = mix.map { source, percent in
                var line = Taizhang_Ledger_V1_Funding()
                line.source = source
                line.amountFen = Int64(percent) * 50_000_000
                return line
            }
            projects.append(project)
            projectsByTownship[t].append(project)
        }
        return (projects, projectMix, projectsByTownship)
    }

    /// Who owns asset `index`: a household, the county (village roads), or
    /// the village collective, with a neighbour for every 7th operating asset (004 §12).
    private static func owners(_ index: Int, kind: DemoKinds.Kind, village: Taizhang_Ledger_V1_AdminUnit,
                               villages: [Taizhang_Ledger_V1_AdminUnit]) -> [Taizhang_Ledger_V1_Owner] {
        let (surnames, givenNames) = (DemoKinds.surnames, DemoKinds.givenNames)
        var owner = Taizhang_Ledger_V1_Owner()
        owner.shareBp = 10_000
        switch kind.category {
        case .household:
            owner.name = surnames[index % surnames.count] + givenNames[index % givenNames.count]
            owner.kind = .householdOwner
            owner.adminCode = village.code
            return [owner]
        case .publicWelfare where kind.subType == "村组道路":
            owner.name = "江陵县人民政府"
            owner.kind = .countyGovernment
            owner.adminCode = DemoCounty.countyCode
            return [owner]
        default:
            owner.name = "\(village.name)股份经济合作社"
            owner.kind = .villageCollective
            owner.adminCode = village.code
            if kind.category == .operating, index % 7 == 0 {
                // A cross-village asset: shares by funding proportion (004 §12).
                let partner = villages[(villages.firstIndex(of: village)! + 1) % villages.count]
                owner.shareBp = 6_000
                var second = Taizhang_Ledger_V1_Owner()
                second.name = "\(partner.name)股份经济合作社"
                second.kind = .villageCollective
                second.adminCode = partner.code
                second.shareBp = 4_000
                return [owner, second]
            } else {
                return [owner]
            }
        }
    }

    /// Asset `index` of `kind` in `village`, formed by `project` (its value,
    /// dates and usage drawn from `random`, in this order).
    private static func asset(_ index: Int, kind: DemoKinds.Kind, village: Taizhang_Ledger_V1_AdminUnit, villages: [Taizhang_Ledger_V1_AdminUnit],
                              project: Taizhang_Ledger_V1_Project, mix: [(Taizhang_Ledger_V1_FundingSource, Int)],
                              random: inout SplitMix) -> Taizhang_Ledger_V1_Asset {
        typealias K = DemoKinds
        let (surnames, givenNames, operators) = (K.surnames, K.givenNames, K.operators)
        var asset = Taizhang_Ledger_V1_Asset()
        asset.code = "JL\(project.year)\(String(100_000 + index).dropFirst())"
        asset.name = "\(village.name)\(kind.subType)"
        asset.category = kind.category
        asset.subType = kind.subType
        asset.form = .fixed
        asset.projectID = project.id
        asset.adminCode = village.code
        let month = 1 + Int(random.next() % 12)
        let day = 1 + Int(random.next() % 28)
        asset.acquiredDate = "\(project.year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
        asset.usefulLifeYears = kind.life
        asset.usageStatus = random.next() % 20 == 0 ? .idle : .inUse
        asset.quantity = String(1 + random.next() % 30)
        asset.unit = kind.unit
        let yuan = kind.minYuan + Int64(random.next() % UInt64(kind.maxYuan - kind.minYuan))
        asset.originalValueFen = yuan * 100
        // Funding split by the project's mix; the last line takes the remainder.
        var remaining = asset.originalValueFen
        asset.funding = mix.enumerated().map { offset, entry in
            var line = Taizhang_Ledger_V1_Funding()
            line.source = entry.0
            line.amountFen = offset == mix.count - 1 ? remaining : asset.originalValueFen * Int64(entry.1) / 100
            remaining -= line.amountFen
            return line
        }
        // Accumulated depreciation is the daemon's to compute (004 §17).
        asset.owners = owners(index, kind: kind, village: village, villages: villages)
        asset.user = asset.owners[0].name
        asset.beneficiary = asset.owners[0].name
        asset.custody.custodian = kind.category == .household ? asset.owners[0].name : "\(village.name)村民委员会"
        if index % 23 != 0 {
            asset.custody.responsiblePerson = surnames[(index / 3) % surnames.count] + givenNames[(index / 5) % givenNames.count]
            asset.custody.contact = "1387160\(String(1000 + index % 9000).suffix(4))"
        }
        asset.custody.upkeepFunding = kind.category == .operating ? "经营收益" : "村集体经济收入"
        asset.supervisingDepartment = kind.department
        if kind.category == .operating {
            asset.operation.mode = [.lease, .contracting, .equity, .entrusted][index % 4]
            asset.operation.counterparty = operators[index % operators.count]
            asset.operation.annualFeeFen = asset.originalValueFen * 6 / 100
            asset.operation.termStart = "\(project.year + 1)-01-01"
            asset.operation.termEnd = "\(project.year + 6)-12-31"
        }
        return asset
    }
}

/// The kinds of asset the demo county has, and the names it uses.
enum DemoKinds {
    struct Kind: Sendable { let category: Taizhang_Ledger_V1_AssetCategory; let subType: String; let unit: String; let life: UInt32; let minYuan: Int64; let maxYuan: Int64; let department: String }
    static let publicKinds = [
        Kind(category: .publicWelfare, subType: "村组道路", unit: "公里", life: 20, minYuan: 150_000, maxYuan: 1_800_000, department: "县交通运输局"),
        Kind(category: .publicWelfare, subType: "安全饮水工程", unit: "处", life: 20, minYuan: 80_000, maxYuan: 900_000, department: "县水利和湖泊局"),
        Kind(category: .publicWelfare, subType: "农田水利设施", unit: "处", life: 15, minYuan: 50_000, maxYuan: 700_000, department: "县水利和湖泊局"),
        Kind(category: .publicWelfare, subType: "村级活动室", unit: "座", life: 30, minYuan: 200_000, maxYuan: 600_000, department: "县乡村振兴局"),
        Kind(category: .publicWelfare, subType: "文化广场", unit: "处", life: 15, minYuan: 60_000, maxYuan: 300_000, department: "县文化和旅游局"),
    ]
    static let operatingKinds = [
        Kind(category: .operating, subType: "光伏电站", unit: "千瓦", life: 25, minYuan: 300_000, maxYuan: 2_500_000, department: "县发展和改革局"),
        Kind(category: .operating, subType: "扶贫车间", unit: "座", life: 30, minYuan: 400_000, maxYuan: 3_000_000, department: "县乡村振兴局"),
        Kind(category: .operating, subType: "种养殖基地", unit: "亩", life: 10, minYuan: 100_000, maxYuan: 1_200_000, department: "县农业农村局"),
        Kind(category: .operating, subType: "冷链仓储设施", unit: "座", life: 15, minYuan: 200_000, maxYuan: 1_500_000, department: "县农业农村局"),
    ]
    static let householdKinds = [
        Kind(category: .household, subType: "到户畜禽", unit: "头", life: 5, minYuan: 3_000, maxYuan: 20_000, department: "县农业农村局"),
        Kind(category: .household, subType: "小型农机具", unit: "台", life: 8, minYuan: 5_000, maxYuan: 30_000, department: "县农业农村局"),
    ]
    static let operators = ["江陵县绿源种养专业合作社", "荆州市楚禾农业发展有限公司", "江陵县惠民光伏运维有限公司", "江陵县鑫农农产品加工厂"]
    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "周", "吴", "徐"]
    static let givenNames = ["建国", "秀英", "德明", "桂兰", "志强", "春华", "国平", "玉梅"]
}

/// SplitMix64: a small deterministic generator.
public struct SplitMix: Sendable {
    private var state: UInt64

    /// A generator from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next number.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
