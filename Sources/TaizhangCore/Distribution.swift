// Income distribution plans 收益分配方案 (000 (十), 001 (七), 004 §28–31):
// what a plan must hold, the order of its steps, and its 3-month deadline.
// Pure rules; the store and the services apply them.

/// What a share of the income is for, in the order the policy gives
/// priority (004 §30: households without or with weak labour capacity first,
/// the rest for public-welfare works and expanding production; 000 (十)3:
/// keep part in reserve).
public enum AllocationPurpose: String, Sendable, CaseIterable, Codable {
    /// Poor households without (or with weak) labour capacity: the priority group (004 §30).
    case noLabourHouseholds = "no_labour_households"
    /// Wages of public-welfare jobs 公益岗位 (000 (十)2: no idle hand-outs).
    case publicWelfareJobs = "public_welfare_jobs"
    /// Developing the collective economy 壮大村集体经济 (001 (七)).
    case collectiveEconomy = "collective_economy"
    /// Small public works 村内公益事业 (004 §30).
    case publicWorks = "public_works"
    /// Kept in reserve: 留有余地, 不分光分净 (000 (十)3).
    case reserve
    /// Other households, by a differentiated rule (000 (十)3).
    case otherHouseholds = "other_households"

    /// Whether the allocation pays named households (who must be listed).
    public var paysHouseholds: Bool { self == .noLabourHouseholds || self == .otherHouseholds }
}

/// One household's share of an allocation.
public struct HouseholdShare: Sendable, Hashable, Codable {
    /// The head of household's name.
    public var name: String
    /// Money in fen.
    public var amountFen: Int64
    /// The household of the register it pays ("HH00000001", issue 23); nil
    /// for a plan that names households by text only (before the register).
    public var householdId: String?

    /// A share.
    public init(name: String, amountFen: Int64, householdId: String? = nil) {
        self.name = name
        self.amountFen = amountFen
        self.householdId = householdId
    }
}

/// How a household was paid its share when the plan was carried out.
public enum PaymentMethod: String, Sendable, Codable, CaseIterable {
    /// 转账: to the household's bank card (一卡通), with the transfer's reference.
    case transfer
    /// 现金: cash against the head's signature on the payment sheet, kept as a document digest.
    case cash
}

/// One payment line of a carried-out plan: what reached one household, and its receipt.
public struct HouseholdPayment: Sendable, Hashable, Codable {
    public var householdId: String
    public var amountFen: Int64
    public var method: PaymentMethod
    /// The bank's reference of the transfer (method transfer).
    public var transferReference: String
    /// SHA-256 (hex) of the signed payment sheet (method cash).
    public var signedSheetSHA256: String

    public init(householdId: String, amountFen: Int64, method: PaymentMethod, transferReference: String = "", signedSheetSHA256: String = "") {
        self.householdId = householdId
        self.amountFen = amountFen
        self.method = method
        self.transferReference = transferReference
        self.signedSheetSHA256 = signedSheetSHA256
    }
}

/// One line of a plan: a purpose, its amount, and for household purposes the households.
public struct Allocation: Sendable, Hashable, Codable {
    public var purpose: AllocationPurpose
    public var amountFen: Int64
    public var households: [HouseholdShare]

    /// An allocation.
    public init(purpose: AllocationPurpose, amountFen: Int64, households: [HouseholdShare] = []) {
        self.purpose = purpose
        self.amountFen = amountFen
        self.households = households
    }
}

/// The steps of a plan (004 §31), in the only order allowed.
public enum PlanStage: String, Sendable, CaseIterable, Codable, Comparable {
    /// Drafted by the village committee 村两委研究.
    case draft
    /// Passed by the villagers' representative assembly 村民代表大会审议通过.
    case assemblyPassed = "assembly_passed"
    /// Published, no objection 公示无异议.
    case published
    /// Approved by the township 乡(镇)人民政府审核同意.
    case townshipApproved = "township_approved"
    /// Filed with the county poverty office and finance bureau 报县扶贫办、县财政局备案.
    case filed
    /// Carried out 落实.
    case carriedOut = "carried_out"

    /// The next stage, if any.
    public var next: PlanStage? {
        let all = PlanStage.allCases
        let index = all.firstIndex(of: self)!
        return index + 1 < all.count ? all[index + 1] : nil
    }

    /// The stage's name as county staff say it.
    public var chineseName: String {
        switch self {
        case .draft: return "村两委研究"
        case .assemblyPassed: return "村民代表大会通过"
        case .published: return "公示"
        case .townshipApproved: return "乡镇审核同意"
        case .filed: return "县级备案"
        case .carriedOut: return "已落实"
        }
    }

    public static func < (lhs: PlanStage, rhs: PlanStage) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The villagers' representative assembly that passed a plan.
public struct AssemblyRecord: Sendable, Hashable, Codable {
    public var date: CivilDate
    /// Representatives present.
    public var representativesPresent: Int
    /// Of them, representatives of poor households.
    public var poorHouseholdRepresentatives: Int
    /// Representatives in all (for the quorum).
    public var representativesTotal: Int

    /// A record.
    public init(date: CivilDate, representativesPresent: Int, poorHouseholdRepresentatives: Int, representativesTotal: Int) {
        self.date = date
        self.representativesPresent = representativesPresent
        self.poorHouseholdRepresentatives = poorHouseholdRepresentatives
        self.representativesTotal = representativesTotal
    }
}

/// The county's settings for distribution plans.
public struct DistributionPolicy: Sendable, Hashable {
    /// Least share kept in reserve, in basis points of the income (000 (十)3
    /// says "留有余地" without a figure: any reserve above zero by default).
    public var reserveMinBasisPoints: Int = 1
    /// Whether at least a third of the representatives present must be from
    /// poor households (002 Rizhao: 贫困户代表占1/3).
    public var poorRepresentativesThird = true
    /// Months from the income reaching the village account to carrying the plan out (004 §31).
    public var deadlineMonths = 3

    /// The defaults.
    public init() {}
}

/// The rules of distribution plans.
public enum DistributionRules {
    /// The largest amount an allocation or a share may have.
    public static let amountMaxFen: Int64 = 1_000_000_000_000_000

    /// Every problem of a plan's allocations for `incomeFen` of income, each
    /// naming the rule: the allocations must add up to the income; household
    /// purposes must name their households and add up; and the plan must
    /// keep a reserve and serve the priority group, or it is 一分了之.
    public static func validate(allocations: [Allocation], incomeFen: Int64, policy: DistributionPolicy = DistributionPolicy()) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        if incomeFen <= 0 {
            violations.append(FieldViolation(field: "income_fen", description: "the plan distributes no income; name the income it covers"))
        }
        if allocations.isEmpty {
            violations.append(FieldViolation(field: "allocations", description: "a plan needs at least one allocation"))
            return violations
        }
        var total: Int64 = 0
        var seen: Set<AllocationPurpose> = []
        for (index, allocation) in allocations.enumerated() {
            let field = "allocations[\(index)]"
            if allocation.amountFen <= 0 {
                violations.append(FieldViolation(field: field + ".amount_fen", description: "must be more than 0 (got \(allocation.amountFen))"))
            } else if allocation.amountFen > DistributionRules.amountMaxFen {
                violations.append(FieldViolation(field: field + ".amount_fen", description: "must be at most 10^15 fen"))
            }
            if !seen.insert(allocation.purpose).inserted {
                violations.append(FieldViolation(field: field + ".purpose", description: "\(allocation.purpose.rawValue) appears twice; put it in one allocation"))
            }
            total = total.saturatingAdd(max(0, allocation.amountFen))
            if allocation.purpose.paysHouseholds {
                if allocation.households.isEmpty {
                    violations.append(FieldViolation(field: field + ".households", description:
                        "\(allocation.purpose.rawValue) pays households: name each with its amount (精准受益, 001 (七))"))
                } else {
                    var households: Int64 = 0
                    for (householdIndex, share) in allocation.households.enumerated() {
                        if share.name.isBlank {
                            violations.append(FieldViolation(field: "\(field).households[\(householdIndex)].name", description: "is required"))
                        }
                        if share.amountFen <= 0 {
                            violations.append(FieldViolation(field: "\(field).households[\(householdIndex)].amount_fen", description: "must be more than 0 (got \(share.amountFen))"))
                        } else if share.amountFen > DistributionRules.amountMaxFen {
                            violations.append(FieldViolation(field: "\(field).households[\(householdIndex)].amount_fen", description: "must be at most 10^15 fen"))
                        }
                        households = households.saturatingAdd(max(0, share.amountFen))
                    }
                    if households != allocation.amountFen {
                        violations.append(FieldViolation(field: field + ".households", description:
                            "the households' shares add up to \(Yuan.format(households)), not the allocation's \(Yuan.format(allocation.amountFen))"))
                    }
                }
            } else if !allocation.households.isEmpty {
                violations.append(FieldViolation(field: field + ".households", description: "\(allocation.purpose.rawValue) pays no households; leave them out"))
            }
        }
        if incomeFen > 0, total != incomeFen {
            violations.append(FieldViolation(field: "allocations", description:
                "the allocations add up to \(Yuan.format(total)), not the income's \(Yuan.format(incomeFen)); plan all of it, the reserve included"))
        }
        let reserve = allocations.filter { $0.purpose == .reserve }.reduce(Int64(0)) { $0.saturatingAdd(max(0, $1.amountFen)) }
        // Compared in 128 bits: the amounts come from requests.
        let reserveShare = reserve.multipliedFullWidth(by: 10_000)
        let leastShare = incomeFen.multipliedFullWidth(by: Int64(policy.reserveMinBasisPoints))
        if incomeFen > 0, (reserveShare.high, reserveShare.low) < (leastShare.high, leastShare.low) || reserve == 0 {
            violations.append(FieldViolation(field: "allocations", description:
                "一分了之: nothing is kept in reserve; 000 (十)3 requires 收益分配应留有余地，不分光分净 (a reserve allocation of at least \(Double(policy.reserveMinBasisPoints) / 100)% of the income)"))
        }
        if !allocations.contains(where: { $0.purpose == .noLabourHouseholds && $0.amountFen > 0 }) {
            violations.append(FieldViolation(field: "allocations", description:
                "一分了之: the priority group has no allocation; 004 §30 puts households without or with weak labour capacity first (no_labour_households)"))
        }
        return violations
    }

    /// The day the plan must be carried out by: `deadlineMonths` after the
    /// income reached the village account (004 §31), the same day of the
    /// month or the month's last day.
    public static func deadline(incomeReceived: CivilDate, policy: DistributionPolicy = DistributionPolicy()) -> CivilDate {
        let months = incomeReceived.year * 12 + (incomeReceived.month - 1) + policy.deadlineMonths
        let year = months / 12
        let month = months % 12 + 1
        let day = min(incomeReceived.day, CivilDate.daysIn(month: month, year: year))
        return CivilDate(year: year, month: month, day: day) ?? incomeReceived
    }

    /// Whether a plan in `stage` is past its deadline on `today`.
    public static func isOverdue(stage: PlanStage, incomeReceived: CivilDate, today: CivilDate,
                                 policy: DistributionPolicy = DistributionPolicy()) -> Bool {
        stage != .carriedOut && today > deadline(incomeReceived: incomeReceived, policy: policy)
    }

    /// Why a plan in `stage` may not move to `target` on `date`, or nil when
    /// it may. Steps go one at a time in the order of 004 §31; the assembly
    /// step needs its record (a majority of representatives present, and a
    /// third of them from poor households when the policy says so); no step
    /// is dated before the one before it.
    public static func refusal(from stage: PlanStage, to target: PlanStage, on date: CivilDate, previousStepDate: CivilDate?,
                               assembly: AssemblyRecord?, policy: DistributionPolicy = DistributionPolicy()) -> LedgerError? {
        guard stage.next == target else {
            if target <= stage {
                return LedgerError(.failedPrecondition, "the plan is already \(stage.rawValue); it cannot go back to \(target.rawValue)")
            }
            return LedgerError(.failedPrecondition,
                               "the plan is \(stage.rawValue); the next step is \(stage.next?.rawValue ?? "none, it is carried out"), not \(target.rawValue) (004 §31: 村两委研究 → 村民代表大会审议通过 → 公示无异议 → 乡镇审核同意 → 报县备案 → 落实)")
        }
        if let previousStepDate, date < previousStepDate {
            return LedgerError(.invalidArgument, "the step is dated \(date), before the previous step (\(previousStepDate))",
                               violations: [FieldViolation(field: "date", description: "must not be before \(previousStepDate)")])
        }
        if target == .assemblyPassed {
            guard let assembly else {
                return LedgerError(.invalidArgument, "the assembly's record is required: date, representatives present, of them from poor households, and in all",
                                   violations: [FieldViolation(field: "assembly", description: "is required for assembly_passed")])
            }
            var violations: [FieldViolation] = []
            if assembly.representativesTotal <= 0 || assembly.representativesPresent <= 0
                || assembly.representativesPresent > assembly.representativesTotal {
                violations.append(FieldViolation(field: "assembly.representatives_present", description:
                    "must be between 1 and representatives_total (\(assembly.representativesTotal))"))
            } else if assembly.representativesPresent * 2 <= assembly.representativesTotal {
                violations.append(FieldViolation(field: "assembly.representatives_present", description:
                    "\(assembly.representativesPresent) of \(assembly.representativesTotal) is not a majority; the assembly could not decide"))
            }
            if assembly.poorHouseholdRepresentatives < 0 || assembly.poorHouseholdRepresentatives > assembly.representativesPresent {
                violations.append(FieldViolation(field: "assembly.poor_household_representatives", description: "must be between 0 and the representatives present"))
            } else if policy.poorRepresentativesThird, assembly.poorHouseholdRepresentatives * 3 < assembly.representativesPresent {
                violations.append(FieldViolation(field: "assembly.poor_household_representatives", description:
                    "\(assembly.poorHouseholdRepresentatives) of \(assembly.representativesPresent) present is less than a third; 002 (Rizhao) wants 贫困户代表占1/3"))
            }
            if assembly.date != date {
                violations.append(FieldViolation(field: "assembly.date", description: "must be the step's date (\(date))"))
            }
            if !violations.isEmpty {
                return LedgerError(.invalidArgument, "the assembly's record does not show a valid decision", violations: violations)
            }
        }
        return nil
    }
}

/// The rules of a plan's payments to the households of the register (issue 23).
public enum PlanPaymentRules {
    /// The shares that name households of the register, by household (a
    /// household named in two allocations is paid their sum).
    public static func registeredShares(_ allocations: [Allocation]) -> [String: Int64] {
        var shares: [String: Int64] = [:]
        for allocation in allocations {
            for share in allocation.households {
                if let id = share.householdId, !id.isEmpty { shares[id, default: 0] = shares[id, default: 0].saturatingAdd(share.amountFen) }
            }
        }
        return shares
    }

    /// Every problem of the payment lines of a plan being carried out: one
    /// line per household of the register the plan pays, each for its share
    /// exactly (so the lines sum to the households' shares, fen for fen),
    /// each with its receipt.
    public static func violations(_ payments: [HouseholdPayment], allocations: [Allocation]) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        let shares = registeredShares(allocations)
        var paid: [String: Int] = [:]
        for (index, payment) in payments.enumerated() {
            let field = "payments[\(index)]"
            if let earlier = paid[payment.householdId] {
                bad.append(.init(field: field + ".household_id", description: "\(payment.householdId) is paid on line \(earlier) already; one line per household"))
            }
            paid[payment.householdId] = paid[payment.householdId] ?? index
            if let share = shares[payment.householdId] {
                if payment.amountFen != share {
                    bad.append(.init(field: field + ".amount_fen", description: "is \(Yuan.format(payment.amountFen)); the plan gives \(payment.householdId) \(Yuan.format(share))"))
                }
            } else {
                bad.append(.init(field: field + ".household_id", description: "\(payment.householdId) has no share in the plan; pay only the households it names"))
            }
            switch payment.method {
            case .transfer:
                if payment.transferReference.isBlank || payment.transferReference.utf8.count > 64 {
                    bad.append(.init(field: field + ".transfer_reference", description: "a transfer needs the bank's reference (at most 64 bytes)"))
                }
            case .cash:
                let digest = payment.signedSheetSHA256
                if digest.count != 64 || !digest.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
                    bad.append(.init(field: field + ".signed_sheet_sha256", description: "cash needs the signed payment sheet's SHA-256 (64 lowercase hex digits)"))
                }
            }
        }
        for id in shares.keys.sorted() where paid[id] == nil {
            bad.append(.init(field: "payments", description: "\(id) has a share of \(Yuan.format(shares[id] ?? 0)) and no payment line"))
        }
        return bad
    }
}

extension String {
    /// Whether the text is empty or only spaces (ASCII or ideographic).
    public var isBlank: Bool { allSatisfy { $0 == " " || $0 == "\t" || $0 == "\u{3000}" } }
}
