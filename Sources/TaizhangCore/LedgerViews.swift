// Ledger views per admin level (004 §18): a unit's ledger holds the assets
// it owns and, as its appended list, those owned by the units below it
// ("上级台账应附产权在下级的扶贫项目资产清单"); totals per category of count,
// original value, accumulated depreciation and net value, as 003 reports.

/// Which ledger an asset is kept in.
public enum LedgerMembership {
    /// The admin units whose ledgers keep `asset` as their own: its owners'
    /// units; while no owner names a unit (households, enterprises, or not
    /// yet confirmed), the unit it lies in.
    public static func owningUnits(of asset: Asset) -> [String] {
        let codes = asset.owners.map(\.adminCode).filter { !$0.isEmpty }
        return codes.isEmpty ? [asset.adminCode] : codes
    }

    /// Whether the ledger of a unit whose subtree is `subtree` includes `asset`.
    public static func includes(_ asset: Asset, subtree: Set<String>) -> Bool {
        // The same as owningUnits(of:), without building the array.
        var namedUnit = false
        for owner in asset.owners where !owner.adminCode.isEmpty {
            if subtree.contains(owner.adminCode) { return true }
            namedUnit = true
        }
        return !namedUnit && subtree.contains(asset.adminCode)
    }
}

/// Totals of a group of assets.
public struct LedgerTotals: Sendable, Hashable {
    public var count: Int = 0
    public var originalValueFen: Int64 = 0
    public var accumulatedDepreciationFen: Int64 = 0
    public var netValueFen: Int64 = 0

    /// Empty totals.
    public init() {}

    /// Adds one asset; false when a total would overflow 64 bits.
    mutating func add(original: Int64, accumulated: Int64, net: Int64, count assets: Int = 1) -> Bool {
        let (o, o1) = originalValueFen.addingReportingOverflow(original)
        let (a, o2) = accumulatedDepreciationFen.addingReportingOverflow(accumulated)
        let (n, o3) = netValueFen.addingReportingOverflow(net)
        if o1 || o2 || o3 { return false }
        count += assets
        originalValueFen = o
        accumulatedDepreciationFen = a
        netValueFen = n
        return true
    }
}

/// A ledger's summary as of a date.
public struct LedgerSummary: Sendable, Hashable {
    public var asOf: CivilDate
    public var total = LedgerTotals()
    public var byCategory: [AssetCategory: LedgerTotals] = [:]
    public var byStage: [AssetStage: Int] = [:]
    /// Assets with no custodian 管护主体 recorded.
    public var withoutCustodian = 0
    /// Published assets past their handover deadline, not yet handed over.
    public var handoverOverdue = 0

    /// Sums `assets` as of `asOf`; only assets acquired by then count.
    /// - Throws: OUT_OF_RANGE when a total does not fit in 64 bits of fen.
    public static func compute<S: Sequence>(_ assets: S, policy: DepreciationPolicy, asOf: CivilDate) throws -> LedgerSummary where S.Element == Asset {
        var summary = LedgerSummary(asOf: asOf)
        for asset in assets { try summary.add(asset, policy: policy) }
        return summary
    }

    /// An empty summary as of `asOf`, to `add` assets to one by one.
    public init(asOf: CivilDate) {
        self.asOf = asOf
    }

    /// Counts `asset` if it was acquired by `asOf`.
    /// - Throws: OUT_OF_RANGE when a total does not fit in 64 bits of fen.
    public mutating func add(_ asset: Asset, policy: DepreciationPolicy) throws {
        guard asset.acquiredDate <= asOf else { return }
        let (accumulated, net) = Depreciation.asOf(asOf, asset: asset, policy: policy)
        try add(AssetGroup(count: 1, category: asset.category, stage: asset.lifecycle.stage, withoutCustodian: asset.custody.custodian.isEmpty,
                           handoverDue: asset.lifecycle.stage == .published ? asset.lifecycle.handoverDue : nil),
                accumulated: accumulated, net: net)
    }

    /// Counts a group of assets acquired by `asOf` (the caller checked)
    /// with their depreciation and net value as of `asOf`.
    /// - Throws: OUT_OF_RANGE when a total does not fit in 64 bits of fen.
    public mutating func add(_ group: AssetGroup, accumulated: Int64, net: Int64) throws {
        let (original, overflow) = accumulated.addingReportingOverflow(net)
        var category = byCategory[group.category] ?? LedgerTotals()
        guard !overflow, total.add(original: original, accumulated: accumulated, net: net, count: group.count),
              category.add(original: original, accumulated: accumulated, net: net, count: group.count) else {
            throw LedgerError(.outOfRange, "the ledger's totals exceed 9.2 × 10^18 fen, more than a 64-bit total holds; narrow the view (admin_code, year)")
        }
        byCategory[group.category] = category
        byStage[group.stage, default: 0] += group.count
        if group.withoutCustodian { withoutCustodian += group.count }
        if group.stage == .published, let due = group.handoverDue, asOf > due {
            handoverOverdue += group.count
        }
    }
}

/// Assets a summary counts together: what it counts them by.
public struct AssetGroup: Sendable, Hashable {
    public var count: Int
    public var category: AssetCategory
    public var stage: AssetStage
    public var withoutCustodian: Bool
    /// The handover deadline of published assets (nil for others).
    public var handoverDue: CivilDate?

    /// A group.
    public init(count: Int, category: AssetCategory, stage: AssetStage, withoutCustodian: Bool, handoverDue: CivilDate?) {
        self.count = count
        self.category = category
        self.stage = stage
        self.withoutCustodian = withoutCustodian
        self.handoverDue = handoverDue
    }
}
