// Who owns an asset by default (确权, 004 §10–14, 001 (四)), and the exact
// split of shares in basis points.

/// A village's contribution to a cross-village project (004 §12).
public struct VillageContribution: Sendable, Hashable {
    public var village: AdminUnit
    public var amountFen: Int64

    /// A contribution.
    public init(village: AdminUnit, amountFen: Int64) {
        self.village = village
        self.amountFen = amountFen
    }
}

/// The owners the rules propose, and the article that says so.
public struct OwnershipProposal: Sendable, Hashable {
    /// Empty when the rules name no default (owners come from an agreement).
    public var owners: [Owner]
    /// The article, e.g. "004 §11".
    public var rule: String
    /// Why, for a person.
    public var explanation: String

    /// A proposal.
    public init(owners: [Owner], rule: String, explanation: String) {
        self.owners = owners
        self.rule = rule
        self.explanation = explanation
    }
}

/// The ownership rules.
public enum OwnershipRules {
    /// Sub-types that are transport assets (004 §10: owned by the county government).
    public static let transportSubTypes: Set<String> = ["农村公路", "村组道路", "通村公路", "公路", "道路", "桥梁", "村内道路", "产业路"]

    /// Whether the asset is a transport asset: its sub-type is a road or
    /// bridge, or its supervising department is transport (交通).
    public static func isTransport(_ asset: Asset) -> Bool {
        transportSubTypes.contains(asset.subType) || asset.supervisingDepartment.contains("交通")
    }

    /// The name a village collective owner goes by.
    public static func collectiveName(of village: AdminUnit) -> String {
        village.name + "集体经济组织"
    }

    /// The default owners, in order of the measures' precedence:
    /// household assets → the household (004 §14); investments in
    /// enterprises → by agreement, no default (004 §13); transport → the
    /// county government (004 §10); two or more contributing villages →
    /// their collectives by funding proportion (004 §12); an asset in one
    /// village → its collective (004 §11); otherwise no default.
    /// - Parameters:
    ///   - location: the admin unit the asset lies in.
    ///   - county: the county it belongs to.
    ///   - contributions: villages' contributions to a cross-village project.
    public static func propose(for asset: Asset, location: AdminUnit?, county: AdminUnit?,
                               contributions: [VillageContribution] = []) -> OwnershipProposal {
        if asset.category == .household {
            guard !asset.beneficiary.isEmpty else {
                return OwnershipProposal(owners: [], rule: "004 §14", explanation: "a household asset belongs to the household that benefits: name it in beneficiary")
            }
            return OwnershipProposal(owners: [Owner(name: asset.beneficiary, kind: .household, adminCode: asset.adminCode, shareBasisPoints: 10_000)],
                                     rule: "004 §14", explanation: "a household asset belongs to the household that benefits")
        }
        if asset.form == .investment {
            return OwnershipProposal(owners: [], rule: "004 §13", explanation: "an investment in an enterprise is owned as its agreement says: give the owners and shares")
        }
        if isTransport(asset) {
            guard let county else {
                return OwnershipProposal(owners: [], rule: "004 §10", explanation: "a transport asset belongs to the county government, but no county is registered")
            }
            return OwnershipProposal(owners: [Owner(name: county.name + "人民政府", kind: .countyGovernment, adminCode: county.code, shareBasisPoints: 10_000)],
                                     rule: "004 §10", explanation: "transport assets belong to the county government")
        }
        // One entry per village: amounts given twice for a village add up.
        var contributing: [VillageContribution] = []
        for contribution in contributions where contribution.amountFen > 0 {
            if let index = contributing.firstIndex(where: { $0.village.code == contribution.village.code }) {
                let (sum, overflow) = contributing[index].amountFen.addingReportingOverflow(contribution.amountFen)
                contributing[index].amountFen = overflow ? Int64.max : sum
            } else {
                contributing.append(contribution)
            }
        }
        if Set(contributing.map(\.village.code)).count >= 2 {
            let shares = splitShares(contributing.map(\.amountFen))
            let owners = zip(contributing, shares).map { contribution, share in
                Owner(name: collectiveName(of: contribution.village), kind: .villageCollective,
                      adminCode: contribution.village.code, shareBasisPoints: share)
            }
            return OwnershipProposal(owners: owners, rule: "004 §12",
                                     explanation: "a cross-village project is owned by the villages' collectives in proportion to their funding")
        }
        if let village = contributing.first?.village ?? (location?.level == .village ? location : nil) {
            return OwnershipProposal(owners: [Owner(name: collectiveName(of: village), kind: .villageCollective, adminCode: village.code, shareBasisPoints: 10_000)],
                                     rule: "004 §11", explanation: "an asset of a single-village project belongs to the village collective")
        }
        return OwnershipProposal(owners: [], rule: "004 §12",
                                 explanation: "an asset above village level is owned as agreed or as the county government decides: give the owners and shares")
    }

    /// The proposal for `asset`, looking up its location, its county and
    /// the contributing villages with `unit`.
    /// - Throws: INVALID_ARGUMENT when a contribution names no village.
    public static func propose(for asset: Asset, contributions: [ContributionReference],
                               unit: (String) -> AdminUnit?) throws -> OwnershipProposal {
        var bad: [FieldViolation] = []
        var villages: [VillageContribution] = []
        if contributions.count > RecordLimits.ownersMaxCount {
            bad.append(.init(field: "contributions", description: "has \(contributions.count) items; at most \(RecordLimits.ownersMaxCount)"))
        }
        for (index, contribution) in contributions.enumerated() {
            if let village = unit(contribution.adminCode), village.level == .village {
                villages.append(VillageContribution(village: village, amountFen: contribution.amountFen))
            } else {
                bad.append(.init(field: "contributions[\(index)].admin_code", description: "no village \(contribution.adminCode) exists"))
            }
            if contribution.amountFen <= 0 || contribution.amountFen > RecordLimits.amountMaxFen {
                bad.append(.init(field: "contributions[\(index)].amount_fen", description: "must be more than 0 and at most \(RecordLimits.amountMaxFen) fen"))
            }
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "contributions") }
        let location = unit(asset.adminCode)
        var county = location
        var steps = 0
        while let current = county, !current.parentCode.isEmpty, steps < 8 {
            county = unit(current.parentCode)
            steps += 1
        }
        return propose(for: asset, location: location, county: county?.level == .county ? county : nil, contributions: villages)
    }

    /// Splits 10,000 basis points in proportion to `amounts`, exactly: each
    /// gets the floor of its exact share; the basis points left over go one
    /// each to the largest remainders; ties go to the larger amount, then to
    /// the earlier position; a contributor left with 0 gets 1 from the
    /// largest share. The result adds up to 10,000 (empty when the amounts
    /// do not add up to more than zero).
    public static func splitShares(_ amounts: [Int64], total basisPoints: Int = 10_000) -> [Int] {
        let positive = amounts.map { max(0, $0) }
        var sum: Int64 = 0
        for amount in positive {
            let (next, overflow) = sum.addingReportingOverflow(amount)
            if overflow { return [] }
            sum = next
        }
        guard sum > 0 else { return [] }
        // amount × basisPoints fits in 128 bits; use multipliedFullWidth.
        var shares: [Int] = []
        var remainders: [(index: Int, remainder: Int64)] = []
        for (index, amount) in positive.enumerated() {
            let product = amount.multipliedFullWidth(by: Int64(basisPoints))
            let (quotient, remainder) = sum.dividingFullWidth(product)
            shares.append(Int(quotient))
            remainders.append((index, remainder))
        }
        var left = basisPoints - shares.reduce(0, +)
        let order = remainders.sorted { a, b in
            if a.remainder != b.remainder { return a.remainder > b.remainder }
            if positive[a.index] != positive[b.index] { return positive[a.index] > positive[b.index] }
            return a.index < b.index
        }
        var next = 0
        while left > 0 {
            shares[order[next % order.count].index] += 1
            left -= 1
            next += 1
        }
        // Every contributor keeps at least 1 basis point, taken from the
        // largest share (the earlier one on a tie).
        for index in shares.indices where positive[index] > 0 && shares[index] == 0 {
            let largest = shares.indices.max { shares[$0] < shares[$1] || (shares[$0] == shares[$1] && $0 > $1) }!
            shares[largest] -= 1
            shares[index] = 1
        }
        return shares
    }

    /// Whether two owner lists name the same owners with the same shares, in any order.
    public static func sameOwners(_ a: [Owner], _ b: [Owner]) -> Bool {
        let key: (Owner) -> String = { "\($0.name)\u{0}\($0.kind.rawValue)\u{0}\($0.adminCode)\u{0}\($0.shareBasisPoints)" }
        return a.map(key).sorted() == b.map(key).sorted()
    }
}
