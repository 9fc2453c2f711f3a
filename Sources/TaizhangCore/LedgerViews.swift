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
        owningUnits(of: asset).contains { subtree.contains($0) }
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

    mutating func add(original: Int64, accumulated: Int64, net: Int64) {
        count += 1
        originalValueFen += original
        accumulatedDepreciationFen += accumulated
        netValueFen += net
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
    public static func compute<S: Sequence>(_ assets: S, policy: DepreciationPolicy, asOf: CivilDate) -> LedgerSummary where S.Element == Asset {
        var summary = LedgerSummary(asOf: asOf)
        for asset in assets where asset.acquiredDate <= asOf {
            let (accumulated, net) = Depreciation.asOf(asOf, asset: asset, policy: policy)
            let original = accumulated + net
            summary.total.add(original: original, accumulated: accumulated, net: net)
            summary.byCategory[asset.category, default: LedgerTotals()].add(original: original, accumulated: accumulated, net: net)
            summary.byStage[asset.lifecycle.stage, default: 0] += 1
            if asset.custody.custodian.isEmpty { summary.withoutCustodian += 1 }
            if asset.lifecycle.stage == .published, let due = asset.lifecycle.handoverDue, asOf > due {
                summary.handoverOverdue += 1
            }
        }
        return summary
    }

    init(asOf: CivilDate) {
        self.asOf = asOf
    }
}
