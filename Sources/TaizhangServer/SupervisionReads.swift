// What the supervision's readers read from the ledger file (issue 21): the
// responsible units, and their projects' progress with the payments loaded
// from their own records. Each read is bounded; a ledger past a bound is
// refused by name (RESOURCE_EXHAUSTED), never judged on part of itself.

import TaizhangCore

enum SupervisionReads {
    /// Units one listing, ranking or run reads: a county has tens of them.
    static let unitsMax = 5_000
    /// Projects (and, of them, payments) one unit's lights read.
    static let projectsPerUnitMax = 20_000
    static let paymentsPerUnitMax = 1_000_000
    /// Records read per page.
    static let page = 2_000

    /// The responsible units in `adminCode`'s subtree (all when empty).
    static func units(_ store: any LedgerStore, adminCode: String = "") throws -> [ResponsibleUnit] {
        let page = try store.stewardshipRecords(StewardshipFilter(.responsibleUnit, adminCode: adminCode), after: nil, limit: unitsMax)
        if page.total > unitsMax {
            throw LedgerError(.resourceExhausted, "the ledger has \(page.total) responsible units; at most \(unitsMax) are read at once")
        }
        return page.records.compactMap { if case .unit(let unit) = $0 { unit } else { nil } }
    }

    /// Every record of `filter`, page by page, at most `limit`.
    static func all(_ store: any LedgerStore, _ filter: StewardshipFilter, limit: Int, what: @autoclosure () -> String) throws -> [StewardshipRecord] {
        var records: [StewardshipRecord] = []
        var after: String?
        repeat {
            let page = try store.stewardshipRecords(filter, after: after, limit: Self.page)
            if page.total > limit { throw LedgerError(.resourceExhausted, "\(what()) number \(page.total); at most \(limit) are read at once") }
            records += page.records
            after = page.nextAfter
        } while after != nil
        return records
    }

    /// A unit's projects by id, with their payments.
    static func projects(_ store: any LedgerStore, of unitId: String) throws -> [String: ProjectProgress] {
        var projects: [String: ProjectProgress] = [:]
        for case .progress(let progress) in try all(store, StewardshipFilter(.projectProgress, states: [unitId]), limit: projectsPerUnitMax,
                                                    what: "the projects of \(unitId)") {
            projects[progress.id] = progress
        }
        for (project, facts) in try store.paymentFacts(ofUnit: unitId, limit: paymentsPerUnitMax) { projects[project]?.paid = facts }
        return projects
    }

    /// A project's progress with its payments, when it has been approved.
    static func project(_ store: any LedgerStore, _ id: String) throws -> ProjectProgress? {
        guard case .progress(var progress)? = try store.stewardshipRecord(.projectProgress, id: id) else { return nil }
        for case .disbursement(let payment) in try all(store, StewardshipFilter(.disbursement, contractId: id), limit: ProgressRules.disbursementsMax,
                                                       what: "the payments of \(id)") {
            progress.disbursements.append(payment.payment)
            progress.paid.append(PaymentFact(payment.payment))
        }
        return progress
    }
}
