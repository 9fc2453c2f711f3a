// The county's depreciation policy (004 §17): which assets depreciate, the
// minimum useful life of each class, and when depreciation starts; and the
// depreciation of one asset under it.

/// A class of the minimum-useful-life table.
public struct DepreciationClass: Sendable, Hashable {
    /// e.g. "building_brick".
    public var code: String
    /// e.g. "砖混结构房屋".
    public var name: String
    public var minimumYears: Int
    /// The asset sub-types (`Asset.subType`) in the class.
    public var subTypes: [String]

    /// A class.
    public init(code: String, name: String, minimumYears: Int, subTypes: [String]) {
        self.code = code
        self.name = name
        self.minimumYears = minimumYears
        self.subTypes = subTypes
    }
}

/// Which assets depreciate and how.
public struct DepreciationPolicy: Sendable, Hashable {
    public var start: DepreciationStart
    /// 004 §17: public infrastructure is not depreciated until the Ministry
    /// of Finance sets its lives; a county that already did may go on.
    public var depreciatePublicWelfare: Bool
    /// Household assets belong to the households (004 §14); off by default.
    public var depreciateHousehold: Bool
    /// Minimum lives for operating assets, by class.
    public var classes: [DepreciationClass] {
        didSet { classBySubType = DepreciationPolicy.index(classes) }
    }
    /// Sub-type → position in `classes` (the first class naming it).
    private var classBySubType: [String: Int] = [:]

    /// A policy.
    public init(start: DepreciationStart = .monthAcquired, depreciatePublicWelfare: Bool = false,
                depreciateHousehold: Bool = false, classes: [DepreciationClass] = DepreciationPolicy.defaultClasses) {
        self.start = start
        self.depreciatePublicWelfare = depreciatePublicWelfare
        self.depreciateHousehold = depreciateHousehold
        self.classes = classes
        classBySubType = DepreciationPolicy.index(classes)
    }

    /// Everything that decides a schedule, as text: totals kept under one
    /// policy are rebuilt when the daemon starts under another.
    public var fingerprint: String {
        var text = "start=\(start.rawValue);public_welfare=\(depreciatePublicWelfare);household=\(depreciateHousehold)"
        for klass in classes { text += ";\(klass.code)=\(klass.minimumYears):" + klass.subTypes.joined(separator: ",") }
        return text
    }

    static func index(_ classes: [DepreciationClass]) -> [String: Int] {
        var index: [String: Int] = [:]
        for (position, klass) in classes.enumerated() {
            for subType in klass.subTypes where index[subType] == nil { index[subType] = position }
        }
        return index
    }

    /// The default minimum useful lives, from the Ministry of Finance's
    /// government fixed-asset depreciation table (政府固定资产折旧年限表,
    /// appendix to the application guide of Government Accounting Standard
    /// No. 3, 财会〔2017〕4号), mapped to the sub-types counties use. A county
    /// reviews it and overrides it with its own table.
    public static let defaultClasses: [DepreciationClass] = [
        DepreciationClass(code: "building_steel_concrete", name: "钢结构、钢筋混凝土结构房屋", minimumYears: 50,
                          subTypes: ["扶贫车间", "厂房", "仓库", "冷库", "村级活动场所"]),
        DepreciationClass(code: "building_brick", name: "砖混结构、砖木结构房屋", minimumYears: 30,
                          subTypes: ["砖混房屋", "砖木房屋", "加工厂房"]),
        DepreciationClass(code: "simple_building", name: "简易房", minimumYears: 8,
                          subTypes: ["简易房", "大棚", "温室大棚", "圈舍", "养殖圈舍"]),
        DepreciationClass(code: "attached_facility", name: "房屋附属设施", minimumYears: 8, subTypes: ["附属设施"]),
        DepreciationClass(code: "structure", name: "构筑物", minimumYears: 8,
                          subTypes: ["构筑物", "水池", "蓄水池", "晒场", "围栏"]),
        DepreciationClass(code: "vehicle", name: "车辆", minimumYears: 8, subTypes: ["车辆", "运输车辆", "冷藏车"]),
        DepreciationClass(code: "computer", name: "计算机设备", minimumYears: 6, subTypes: ["计算机设备", "电商设备"]),
        DepreciationClass(code: "office_equipment", name: "办公设备", minimumYears: 6, subTypes: ["办公设备"]),
        DepreciationClass(code: "machinery", name: "机械设备", minimumYears: 10,
                          subTypes: ["机械设备", "农业机械", "加工设备", "生产设备"]),
        DepreciationClass(code: "electrical", name: "电气设备", minimumYears: 5, subTypes: ["电气设备", "光伏电站", "光伏发电设备"]),
        DepreciationClass(code: "furniture", name: "家具", minimumYears: 15, subTypes: ["家具"]),
    ]

    /// The class of a sub-type, if the table has it.
    public func depreciationClass(of subType: String) -> DepreciationClass? {
        classBySubType[subType].map { classes[$0] }
    }
}

/// How one asset depreciates under a policy.
public struct DepreciationBasis: Sendable, Hashable {
    /// Whether it depreciates at all.
    public var depreciated: Bool
    /// Why (or why not), for a person.
    public var reason: String
    /// The life the schedule uses: the declared life, raised to the class minimum.
    public var lifeYears: Int
    public var declaredLifeYears: Int
    public var depreciationClass: DepreciationClass?
    public var start: DepreciationStart
    /// The asset's values, first at acquisition.
    public var values: [ValueChange]
}

extension Depreciation {
    /// How `asset` depreciates under `policy`.
    public static func basis(of asset: Asset, policy: DepreciationPolicy) -> DepreciationBasis {
        let values: [ValueChange] = asset.lifecycle.valuations.isEmpty
            ? [ValueChange(effective: asset.acquiredDate, valueFen: asset.originalValueFen)]
            : asset.lifecycle.valuations.map { ValueChange(effective: $0.date, valueFen: $0.valueFen) }
        var basis = DepreciationBasis(depreciated: false, reason: "", lifeYears: 0, declaredLifeYears: asset.usefulLifeYears,
                                      depreciationClass: nil, start: policy.start, values: values)
        switch asset.form {
        case .current:
            basis.reason = "current assets are not depreciated"
            return basis
        case .investment:
            basis.reason = "outward investments are not depreciated"
            return basis
        case .fixed, .intangible:
            break
        }
        if asset.category == .publicWelfare, !policy.depreciatePublicWelfare {
            basis.reason = "public infrastructure is not depreciated until the Ministry of Finance sets its lives (004 §17); the county policy keeps it so"
            return basis
        }
        if asset.category == .household, !policy.depreciateHousehold {
            basis.reason = "household assets belong to the households (004 §14); the county policy does not depreciate them"
            return basis
        }
        var life = asset.usefulLifeYears
        var reason = "straight-line by month over \(life) years, no salvage value (004 §17)"
        if asset.category == .operating, let klass = policy.depreciationClass(of: asset.subType) {
            basis.depreciationClass = klass
            if life < klass.minimumYears {
                life = klass.minimumYears
                reason = "straight-line by month over \(life) years, the minimum for \(klass.name) (declared \(asset.usefulLifeYears)), no salvage value (004 §17)"
            }
        }
        if life == 0 {
            basis.reason = "no useful life is recorded"
            return basis
        }
        basis.depreciated = true
        basis.lifeYears = life
        basis.reason = reason
        return basis
    }

    /// The life the schedule uses, or 0 when the asset does not depreciate
    /// (the same decision as `basis(of:policy:)`, without its reasons).
    static func lifeYears(of asset: Asset, policy: DepreciationPolicy) -> Int {
        switch asset.form {
        case .current, .investment: return 0
        case .fixed, .intangible: break
        }
        if asset.category == .publicWelfare, !policy.depreciatePublicWelfare { return 0 }
        if asset.category == .household, !policy.depreciateHousehold { return 0 }
        var life = asset.usefulLifeYears
        if asset.category == .operating, let klass = policy.depreciationClass(of: asset.subType) { life = max(life, klass.minimumYears) }
        return max(0, life)
    }

    /// The monthly schedule of `asset` under `policy` (empty when it does not depreciate).
    public static func schedule(of asset: Asset, policy: DepreciationPolicy) -> [MonthlyCharge] {
        let basis = basis(of: asset, policy: policy)
        guard basis.depreciated else { return [] }
        return schedule(acquired: asset.acquiredDate, usefulLifeYears: basis.lifeYears, values: basis.values, start: basis.start)
    }

    /// The months of `asset`'s schedule under `policy` when one value holds
    /// all its life (what a group of such assets shares), 0 when it does not
    /// depreciate; nil when its value changed (its schedule is its own).
    public static func groupMonths(of asset: Asset, policy: DepreciationPolicy) -> Int? {
        guard asset.lifecycle.valuations.count <= 1 else { return nil }
        return lifeYears(of: asset, policy: policy) * 12
    }

    /// The value a group sums for `asset` (one value all its life).
    public static func groupValue(of asset: Asset) -> Int64 {
        asset.lifecycle.valuations.first?.valueFen ?? asset.originalValueFen
    }

    /// Accumulated depreciation and net value as of `date` of assets that
    /// share their acquisition date and schedule of `months` months, one
    /// value each all their lives: `valueFen` their values' sum,
    /// `remainingFen` the sum of each value's non-negative part, `monthlyFen`
    /// the sum of each one's monthly charge (rounded down per asset). The
    /// same as adding `asOf(_:asset:policy:)` of each.
    public static func groupAsOf(_ date: CivilDate, acquired: CivilDate, months: Int, start: DepreciationStart,
                                 valueFen: Int64, remainingFen: Int64, monthlyFen: Int64) -> (accumulatedFen: Int64, netValueFen: Int64) {
        guard months > 0 else { return (0, valueFen) }
        let elapsed = monthIndex(date) - (monthIndex(acquired) + (start == .monthAfter ? 1 : 0)) + 1
        guard elapsed > 0 else { return (0, valueFen) }
        let accumulated = elapsed >= months ? remainingFen : monthlyFen * Int64(elapsed)
        return (accumulated, valueFen - accumulated)
    }

    /// Accumulated depreciation and net value of `asset` as of the end of the
    /// month of `date`, without building the schedule: O(value changes).
    public static func asOf(_ date: CivilDate, asset: Asset, policy: DepreciationPolicy) -> (accumulatedFen: Int64, netValueFen: Int64) {
        if asset.lifecycle.valuations.count <= 1 {
            // One value all its life (the common case): no arrays at all.
            let value = asset.lifecycle.valuations.first?.valueFen ?? asset.originalValueFen
            let life = lifeYears(of: asset, policy: policy)
            guard life > 0 else { return (0, value) }
            let months = life * 12
            let elapsed = monthIndex(date) - (monthIndex(asset.acquiredDate) + (policy.start == .monthAfter ? 1 : 0)) + 1
            guard elapsed > 0 else { return (0, value) }
            let remaining = max(0, value)
            let accumulated = elapsed >= months ? remaining : remaining / Int64(months) * Int64(elapsed)
            return (accumulated, value - accumulated)
        }
        let basis = basis(of: asset, policy: policy)
        let values = basis.values.filter { monthIndex($0.effective) <= monthIndex(date) }
        let valueNow = values.last?.valueFen ?? basis.values.first?.valueFen ?? asset.originalValueFen
        guard basis.depreciated else { return (0, valueNow) }
        let accumulated = accumulated(asOf: date, acquired: asset.acquiredDate, usefulLifeYears: basis.lifeYears,
                                      values: basis.values, start: basis.start)
        return (accumulated, valueNow - accumulated)
    }

    /// Depreciation charged in the months before the month of `date` (what a
    /// value change dated `date` leaves standing).
    public static func accumulatedBefore(_ date: CivilDate, asset: Asset, policy: DepreciationPolicy) -> Int64 {
        let basis = basis(of: asset, policy: policy)
        guard basis.depreciated, let firstOfMonth = CivilDate(year: date.year, month: date.month, day: 1) else { return 0 }
        return accumulated(asOf: firstOfMonth.adding(days: -1), acquired: asset.acquiredDate, usefulLifeYears: basis.lifeYears,
                           values: basis.values, start: basis.start)
    }

    /// Depreciation charged up to and including the month of `date`; the
    /// same accumulated figure `schedule` gives, computed stretch by stretch.
    /// (A value change dated after the last month of the life is not
    /// depreciated: the schedule has ended.)
    public static func accumulated(asOf date: CivilDate, acquired: CivilDate, usefulLifeYears: Int, values: [ValueChange],
                                   start: DepreciationStart = .monthAcquired) -> Int64 {
        let months = max(0, usefulLifeYears) * 12
        guard months > 0, let first = values.first else { return 0 }
        let firstMonth = monthIndex(acquired) + (start == .monthAfter ? 1 : 0)
        let target = monthIndex(date)
        guard target >= firstMonth else { return 0 }
        let lastOffset = min(target - firstMonth, months - 1)
        // Stretches begin at offset 0 and at each change's month (clamped to the schedule).
        var stretches: [(offset: Int, value: Int64)] = [(0, first.valueFen)]
        for change in values.dropFirst() {
            let offset = max(monthIndex(change.effective), firstMonth) - firstMonth
            guard offset < months else { break }
            if let last = stretches.last, last.offset == offset {
                stretches[stretches.count - 1].value = change.valueFen
            } else {
                stretches.append((offset, change.valueFen))
            }
        }
        var accumulated: Int64 = 0
        var value = first.valueFen
        for (index, stretch) in stretches.enumerated() where stretch.offset <= lastOffset {
            value = stretch.value
            let remaining = max(0, value - accumulated)
            let stretchMonths = Int64(months - stretch.offset)
            let perMonth = remaining / stretchMonths
            let end = index + 1 < stretches.count ? stretches[index + 1].offset - 1 : months - 1
            let chargedThrough = min(end, lastOffset)
            // Months charged at perMonth; the schedule's final month takes the rest.
            if chargedThrough == months - 1 {
                accumulated += perMonth * Int64(chargedThrough - stretch.offset)
                accumulated += max(0, value - accumulated)
            } else {
                accumulated += perMonth * Int64(chargedThrough - stretch.offset + 1)
            }
        }
        return accumulated
    }
}

extension DepreciationPolicy {
    /// Reads a policy file:
    /// `{"start": "month_acquired", "depreciate_public_welfare": false,
    ///   "depreciate_household": false, "classes": [{"code": "vehicle",
    ///   "name": "车辆", "minimum_years": 8, "sub_types": ["运输车辆"]}]}`.
    /// Keys left out keep their defaults; "classes", when given, replaces the
    /// whole default table.
    public init(json text: String) throws {
        let json = try JSONParser.parse(text)
        guard case .object(let members) = json else { throw RecordJSONError(description: "depreciation policy: not a JSON object") }
        let known: Set<String> = ["start", "depreciate_public_welfare", "depreciate_household", "classes"]
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            throw RecordJSONError(description: "depreciation policy: unknown key \"\(unknown.key)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
        self.init()
        if let value = json["start"] {
            guard let text = value.string, let start = DepreciationStart(rawValue: text) else {
                throw RecordJSONError(description: "depreciation policy: \"start\" must be \"month_acquired\" or \"month_after\"")
            }
            self.start = start
        }
        for (key, path) in [("depreciate_public_welfare", \DepreciationPolicy.depreciatePublicWelfare), ("depreciate_household", \DepreciationPolicy.depreciateHousehold)] {
            guard let value = json[key] else { continue }
            guard case .bool(let flag) = value else { throw RecordJSONError(description: "depreciation policy: \"\(key)\" must be true or false") }
            self[keyPath: path] = flag
        }
        if let value = json["classes"] {
            guard let items = value.array else { throw RecordJSONError(description: "depreciation policy: \"classes\" must be an array") }
            var seen: [String: String] = [:]
            classes = try items.enumerated().map { index, item in
                guard let code = item["code"]?.string, !code.isEmpty, let name = item["name"]?.string,
                      let years = item["minimum_years"]?.int64, (1...Int64(RecordLimits.usefulLifeMaxYears)).contains(years),
                      let subTypes = item["sub_types"]?.array?.compactMap({ $0.string }) else {
                    throw RecordJSONError(description: "depreciation policy: classes[\(index)] needs code, name, minimum_years (1–\(RecordLimits.usefulLifeMaxYears)) and sub_types (strings)")
                }
                for subType in subTypes {
                    if let other = seen[subType] {
                        throw RecordJSONError(description: "depreciation policy: sub-type \"\(subType)\" is in both \(other) and \(code)")
                    }
                    seen[subType] = code
                }
                return DepreciationClass(code: code, name: name, minimumYears: Int(years), subTypes: subTypes)
            }
        }
    }
}
