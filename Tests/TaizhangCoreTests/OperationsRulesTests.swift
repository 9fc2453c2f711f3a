// Operating entities, contracts and reports: the credit code's check
// character (GB 32100-2015), the records' own rules, the owner's consent a
// running contract's change needs (001 (六)), and the stored JSON.

import Testing
@testable import TaizhangCore

struct OperationsRulesTests {
    static func date(_ text: String) -> CivilDate { CivilDate(text)! }
    static let today = date("2026-11-22")

    @Test(arguments: ["91350100M000100Y43", "91110000600037341L", "93421087MA4ABCDE1T"])
    func validCreditCodes(_ code: String) {
        #expect(CreditCode.problem(with: code) == nil)
    }

    @Test func badCreditCodesNameThePosition() {
        let cases: [(String, String)] = [
            ("91350100M000100Y4", "must be 18 characters"),
            ("91350100M000100Y44", "position 18 (the check character) is \"4\" but the first 17 characters give \"3\""),
            ("91350100M0001O0Y43", "position 14 is \"O\""),
            ("91350100m000100Y43", "position 9 is \"m\", which a credit code never contains (use capital letters)"),
            ("913501A0M000100Y43", "position 7 is \"A\"; positions 3–8 are the registering authority's 6-digit division code"),
        ]
        for (code, expected) in cases {
            let problem = CreditCode.problem(with: code) ?? ""
            #expect(problem.contains(expected), "\(code): \(problem)")
        }
    }

    @Test func entitiesNeedACodeWhenTheyAreEnterprisesOrCooperatives() {
        var entity = OperatingEntity(name: "某某公司", kind: .enterprise, adminCode: "421024100201")
        #expect(OperationsRules.validate(entity).map(\.field) == ["credit_code"])
        entity.creditCode = "91350100M000100Y43"
        #expect(OperationsRules.validate(entity).isEmpty)
        // A large household needs none, but a code given must be right.
        var household = OperatingEntity(name: "张三种植大户", kind: .largeHousehold, adminCode: "421024100201")
        #expect(OperationsRules.validate(household).isEmpty)
        household.creditCode = "91350100M000100Y44"
        #expect(OperationsRules.validate(household).map(\.field) == ["credit_code"])
        // Every bad field at once.
        let bad = OperatingEntity(name: " ", kind: .cooperative, adminCode: "4210", creditCode: "X")
        #expect(Set(OperationsRules.validate(bad).map(\.field)) == ["name", "admin_code", "credit_code"])
    }

    static let contract = OperationContract(id: "HT00000001", assetId: "ZC00000001", entityId: "ZT00000001", mode: .lease,
                                            start: date("2025-01-01"), end: date("2027-12-31"),
                                            payments: [PaymentDue(kind: .rent, dueDate: date("2025-12-31"), amountFen: 100_000)],
                                            committedPoorLabourers: 10, committedHouseholds: 20)

    @Test func contractFields() {
        #expect(OperationsRules.validate(Self.contract).isEmpty)
        var bad = Self.contract
        bad.mode = .selfOperated
        bad.end = Self.date("2024-12-31")
        bad.payments = [PaymentDue(kind: .rent, dueDate: Self.date("2030-01-01"), amountFen: 0)]
        bad.committedHouseholds = -1
        #expect(Set(OperationsRules.validate(bad).map(\.field)) == ["mode", "end", "payments[0].amount_fen", "payments[0].due_date", "committed_households"])
    }

    @Test func changingTheOperatorOfARunningContractNeedsConsent() {
        var changed = Self.contract
        changed.entityId = "ZT00000002"
        let refused = OperationsRules.validateChange(from: Self.contract, to: changed, consent: nil, today: Self.today)
        #expect(refused.map(\.field) == ["owner_consent"])
        let consent = OwnerConsent(date: Self.date("2026-11-20"), consentedBy: "红桥村股份经济合作社（村民代表会议）", reference: "红桥村〔2026〕5号")
        #expect(OperationsRules.validateChange(from: Self.contract, to: changed, consent: consent, today: Self.today).isEmpty)
        // The mode too.
        var mode = Self.contract
        mode.mode = .entrusted
        #expect(OperationsRules.validateChange(from: Self.contract, to: mode, consent: nil, today: Self.today).map(\.field) == ["owner_consent"])
        // A contract not yet running changes freely; so do the term and payments.
        var future = Self.contract
        future.start = Self.date("2027-01-01")
        var futureChanged = future
        futureChanged.entityId = "ZT00000002"
        #expect(OperationsRules.validateChange(from: future, to: futureChanged, consent: nil, today: Self.today).isEmpty)
        var longer = Self.contract
        longer.end = Self.date("2029-12-31")
        #expect(OperationsRules.validateChange(from: Self.contract, to: longer, consent: nil, today: Self.today).isEmpty)
        // A consent must say who and which decision, and not be in the future.
        let empty = OwnerConsent(date: Self.date("2026-12-01"), consentedBy: "", reference: "")
        #expect(Set(OperationsRules.validateChange(from: Self.contract, to: changed, consent: empty, today: Self.today).map(\.field))
                == ["owner_consent.consented_by", "owner_consent.reference", "owner_consent.date"])
        // A terminated contract stays ended.
        var terminated = Self.contract
        terminated.terminatedOn = Self.date("2026-06-30")
        var revived = terminated
        revived.end = Self.date("2030-12-31")
        #expect(OperationsRules.validateChange(from: terminated, to: revived, consent: consent, today: Self.today).map(\.field) == ["contract_id"])
        // Nor by clearing the termination alongside another change.
        var cleared = terminated
        cleared.terminatedOn = nil
        cleared.payments = []
        #expect(OperationsRules.validateChange(from: terminated, to: cleared, consent: nil, today: Self.today).map(\.field) == ["contract_id"])
    }

    @Test func reportFields() {
        let quarter = Quarter("2026Q3")!
        let good = QuarterReport(entityId: "ZT00000001", quarter: quarter, outputValueFen: 1, profitFen: -5, submittedOn: Self.date("2026-10-10"))
        #expect(OperationsRules.validate(good, today: Self.today).isEmpty)
        var bad = good
        bad.outputValueFen = -1
        bad.poorLabourersEmployed = -3
        bad.salesChannels = ["电商", ""]
        bad.submittedOn = Self.date("2026-09-30")
        #expect(Set(OperationsRules.validate(bad, today: Self.today).map(\.field))
                == ["output_value_fen", "poor_labourers_employed", "sales_channels[1]", "submitted_on"])
        // A quarter not yet over cannot be reported.
        let early = QuarterReport(entityId: "ZT00000001", quarter: Quarter("2026Q4")!, submittedOn: Self.today)
        #expect(OperationsRules.validate(early, today: Self.today).map(\.field) == ["submitted_on"])
    }

    @Test func recordsSurviveTheirJSON() throws {
        let entity = OperatingEntity(id: "ZT00000001", name: "某\"公司\"\n", kind: .enterprise, adminCode: "421024100201",
                                     creditCode: "91350100M000100Y43", legalRepresentative: "李四", contact: "138", version: 2,
                                     createdAt: "a", updatedAt: "b")
        #expect(try OperatingEntity(recordJSON: entity.jsonText) == entity)
        var contract = Self.contract
        contract.terminatedOn = Self.date("2026-06-30")
        contract.amendments = [ContractAmendment(date: Self.date("2026-06-30"), summary: "terminated on 2026-06-30",
                                                 consent: OwnerConsent(date: Self.date("2026-06-29"), consentedBy: "村委会", reference: "纪要"))]
        #expect(try OperationContract(recordJSON: contract.jsonText) == contract)
        let report = QuarterReport(entityId: "ZT00000001", quarter: Quarter("2026Q3")!, outputValueFen: 5, salesRevenueFen: 6,
                                   salesChannels: ["电商"], profitFen: -7, paymentsDueFen: 8, paymentsPaidFen: 9, poorLabourersEmployed: 10,
                                   householdsLinked: 11, dividendsPaidFen: 12, supportMeasures: ["培训"], targetOutputValueFen: 13,
                                   targetSalesRevenueFen: 14, submittedOn: Self.date("2026-10-10"), revision: 2, correctionReason: "更正")
        #expect(try QuarterReport(recordJSON: report.jsonText) == report)
        let parts = [RiskPartScore(part: .salesChannels, score: 61, weight: 15, reasons: [RiskReason("few_channels", "渠道单一", "one channel")])]
        #expect(try AlertDetailJSON.readParts(AlertDetailJSON.parts(parts)) == parts)
    }
}
