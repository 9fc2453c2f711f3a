// Income 收益 as received (004 §28–29): what a receipt must say, and the
// arrears of a contract (payments due, oldest first, against what was
// received). Pure rules; the store and the services apply them.

/// Money received for an asset, under a contract or not.
public struct IncomeReceipt: Sendable, Hashable, Codable {
    /// The day it reached the account (the distribution deadline counts from it, 004 §31).
    public var receivedOn: CivilDate
    /// Money in fen.
    public var amountFen: Int64
    /// Who paid (the operating entity, a buyer…).
    public var payer: String
    /// The account it reached (村集体账户, 村财乡管 004 §29).
    public var account: String
    /// What it pays for, when it is a contract's payment.
    public var kind: PaymentKind?

    /// A receipt.
    public init(receivedOn: CivilDate, amountFen: Int64, payer: String, account: String, kind: PaymentKind? = nil) {
        self.receivedOn = receivedOn
        self.amountFen = amountFen
        self.payer = payer
        self.account = account
        self.kind = kind
    }
}

/// One payment due with what has been received against it.
public struct PaymentStanding: Sendable, Hashable {
    public var payment: PaymentDue
    public var receivedFen: Int64
    /// What is still owed (0 when paid).
    public var outstandingFen: Int64
}

/// A contract's payments due up to a day, against its receipts.
public struct Arrears: Sendable, Hashable {
    /// Every payment due by the day, oldest first.
    public var payments: [PaymentStanding]
    /// Owed in all.
    public var owedFen: Int64
    /// Received beyond what was due (paid in advance).
    public var advanceFen: Int64
    /// The oldest payment not fully received.
    public var oldestUnpaid: PaymentDue?
}

/// The rules of income.
public enum IncomeRules {
    /// Every bad field of a receipt recorded on `today`.
    public static func validate(_ receipt: IncomeReceipt, today: CivilDate) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        if receipt.amountFen <= 0 {
            violations.append(FieldViolation(field: "amount_fen", description: "must be more than 0 (got \(receipt.amountFen)); income is recorded as received"))
        } else if receipt.amountFen > 1_000_000_000_000_000 {
            violations.append(FieldViolation(field: "amount_fen", description: "must be at most 10^15 fen"))
        }
        if receipt.receivedOn > today {
            violations.append(FieldViolation(field: "received_on", description: "is after today (\(today)); record income once it is received"))
        }
        if receipt.payer.isBlank {
            violations.append(FieldViolation(field: "payer", description: "name who paid"))
        }
        if receipt.account.isBlank {
            violations.append(FieldViolation(field: "account", description: "name the account it reached (004 §29: 村财乡管)"))
        }
        return violations
    }

    /// The payments due on or before `asOf`, matched oldest first against
    /// the receipts received on or before `asOf`: what each still lacks,
    /// what is owed in all, and any advance.
    public static func arrears(due: [PaymentDue], receipts: [IncomeReceipt], asOf: CivilDate) -> Arrears {
        var available = receipts.filter { $0.receivedOn <= asOf }.reduce(Int64(0)) { $0.saturatingAdd(max(0, $1.amountFen)) }
        var standings: [PaymentStanding] = []
        var owed: Int64 = 0
        var oldest: PaymentDue?
        for payment in due.filter({ $0.dueDate <= asOf }).sorted(by: { $0.dueDate < $1.dueDate }) {
            let covered = min(available, max(0, payment.amountFen))
            available -= covered
            let outstanding = max(0, payment.amountFen) - covered
            standings.append(PaymentStanding(payment: payment, receivedFen: covered, outstandingFen: outstanding))
            if outstanding > 0 {
                owed = owed.saturatingAdd(outstanding)
                if oldest == nil { oldest = payment }
            }
        }
        return Arrears(payments: standings, owedFen: owed, advanceFen: available, oldestUnpaid: oldest)
    }
}
