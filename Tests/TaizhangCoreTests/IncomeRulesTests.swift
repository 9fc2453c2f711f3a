// Income as received (004 §28–29) and a contract's arrears: payments due,
// oldest first, against what reached the account.

import Testing
import TaizhangCore

struct IncomeRulesTests {
    static let today = CivilDate("2026-11-22")!

    @Test func aReceiptNeedsAnAmountADayAPayerAndAnAccount() {
        let good = IncomeReceipt(receivedOn: CivilDate("2026-10-08")!, amountFen: 12_000_00, payer: "白马村蔬菜专业合作社", account: "白马村集体账户", kind: .rent)
        #expect(IncomeRules.validate(good, today: Self.today).isEmpty)
        let bad = IncomeReceipt(receivedOn: CivilDate("2026-11-23")!, amountFen: 0, payer: "", account: "\u{3000}")
        #expect(IncomeRules.validate(bad, today: Self.today).map(\.field) == ["amount_fen", "received_on", "payer", "account"])
    }

    static let due = [
        PaymentDue(kind: .rent, dueDate: CivilDate("2026-01-31")!, amountFen: 10_000_00),
        PaymentDue(kind: .rent, dueDate: CivilDate("2026-07-31")!, amountFen: 10_000_00),
        PaymentDue(kind: .dividend, dueDate: CivilDate("2026-12-31")!, amountFen: 5_000_00),
    ]

    /// (received by the day, as of, owed, oldest unpaid, advance)
    @Test(arguments: [
        ([("2026-02-10", Int64(10_000_00)), ("2026-08-05", Int64(10_000_00))], "2026-11-22", Int64(0), nil as String?, Int64(0)),
        ([("2026-02-10", Int64(10_000_00)), ("2026-08-05", Int64(4_000_00))], "2026-11-22", Int64(6_000_00), "2026-07-31", Int64(0)),
        ([("2026-02-10", Int64(6_000_00))], "2026-11-22", Int64(14_000_00), "2026-01-31", Int64(0)),
        ([("2026-02-10", Int64(30_000_00))], "2026-11-22", Int64(0), nil, Int64(10_000_00)),
        // A receipt after the day does not count; a payment due after it is not yet owed.
        ([("2026-02-10", Int64(10_000_00)), ("2026-12-01", Int64(10_000_00))], "2026-11-22", Int64(10_000_00), "2026-07-31", Int64(0)),
    ])
    func arrearsMatchPaymentsOldestFirst(_ received: [(String, Int64)], _ asOf: String, _ owed: Int64, _ oldest: String?, _ advance: Int64) {
        let receipts = received.map { IncomeReceipt(receivedOn: CivilDate($0.0)!, amountFen: $0.1, payer: "合作社", account: "村集体账户") }
        let arrears = IncomeRules.arrears(due: Self.due, receipts: receipts, asOf: CivilDate(asOf)!)
        #expect(arrears.owedFen == owed)
        #expect(arrears.oldestUnpaid?.dueDate.description == oldest)
        #expect(arrears.advanceFen == advance)
        #expect(arrears.payments.count == 2)
        #expect(arrears.payments.reduce(Int64(0)) { $0 + $1.outstandingFen } == owed)
    }
}
