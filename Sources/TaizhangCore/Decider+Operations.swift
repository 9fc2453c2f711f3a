// Plans for operating entities, their contracts and quarterly reports.



extension Decider {
    mutating func createEntity(_ entity: OperatingEntity) throws -> LedgerChange {
        try permit(entity.adminCode, "the entity's admin_code")
        var entity = entity
        var bad: [FieldViolation] = []
        if view.adminUnit(entity.adminCode) == nil {
            bad.append(.init(field: "entity.admin_code", description: "no admin unit \(entity.adminCode) exists"))
        }
        if !entity.creditCode.isEmpty, let holder = view.entityHolder(ofCreditCode: entity.creditCode) {
            throw LedgerError(.alreadyExists, "credit code \(entity.creditCode) is already registered as \(shownEntity(holder))",
                              violations: [.init(field: "entity.credit_code", description: "already registered as \(shownEntity(holder))")])
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "entity") }
        numbers.entity += 1
        entity.id = OperationsIdentifiers.entity(numbers.entity)
        entity.version = 1
        entity.createdAt = now
        entity.updatedAt = now
        return LedgerChange(entities: [(entity, nil)], outcome: .entity(entity))
    }

    mutating func updateEntity(_ entity: OperatingEntity, _ expectedVersion: Int64) throws -> LedgerChange {
        try reveal(view.entity(entity.id)?.adminCode, "operating entity", entity.id)
        try permit(entity.adminCode, "the entity's new admin_code")
        var entity = entity
        guard let current = view.entity(entity.id) else {
            throw LedgerError(.notFound, "no operating entity \(entity.id) exists", violations: [.init(field: "entity.id", description: "not found")])
        }
        if expectedVersion != 0, expectedVersion != current.version {
            throw LedgerError(.aborted, "entity \(entity.id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
        }
        var bad: [FieldViolation] = []
        if view.adminUnit(entity.adminCode) == nil {
            bad.append(.init(field: "entity.admin_code", description: "no admin unit \(entity.adminCode) exists"))
        }
        if !entity.creditCode.isEmpty, let holder = view.entityHolder(ofCreditCode: entity.creditCode), holder != entity.id {
            throw LedgerError(.alreadyExists, "credit code \(entity.creditCode) is already registered as \(shownEntity(holder))",
                              violations: bad + [.init(field: "entity.credit_code", description: "already registered as \(shownEntity(holder))")])
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "entity") }
        entity.version = current.version + 1
        entity.createdAt = current.createdAt
        entity.updatedAt = now
        return LedgerChange(entities: [(entity, current)], outcome: .entity(entity))
    }

    mutating func createContract(_ contract: OperationContract) throws -> LedgerChange {
        try reveal(assetCode(contract.assetId), "asset", contract.assetId)
        try reveal(view.entity(contract.entityId)?.adminCode, "operating entity", contract.entityId)
        var contract = contract
        try checkParties(contract)
        if let other = overlapping(contract) {
            throw LedgerError(.failedPrecondition, "asset \(contract.assetId) is already under contract \(other.id) from \(other.start) to \(other.lastDay); terminate or shorten it first (AmendContract)",
                              violations: [.init(field: "contract.start", description: "overlaps contract \(other.id) (\(other.start)–\(other.lastDay))")])
        }
        numbers.contract += 1
        contract.id = OperationsIdentifiers.contract(numbers.contract)
        contract.terminatedOn = nil
        contract.operatorSince = nil
        contract.amendments = []
        contract.version = 1
        contract.createdAt = now
        contract.updatedAt = now
        return LedgerChange(contracts: [(contract, nil)], outcome: .contract(contract))
    }

    mutating func amendContract(_ contract: OperationContract, _ consent: OwnerConsent?, _ expectedVersion: Int64) throws -> LedgerChange {
        try reveal(view.contract(contract.id).flatMap { assetCode($0.assetId) }, "contract", contract.id)
        try reveal(view.entity(contract.entityId)?.adminCode, "operating entity", contract.entityId)
        var contract = contract
        guard let current = view.contract(contract.id) else {
            throw LedgerError(.notFound, "no contract \(contract.id) exists", violations: [.init(field: "contract_id", description: "not found")])
        }
        if expectedVersion != 0, expectedVersion != current.version {
            throw LedgerError(.aborted, "contract \(contract.id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
        }
        contract.assetId = current.assetId
        let rules = OperationsRules.validateChange(from: current, to: contract, consent: consent, today: today)
        let changeStatus: ErrorCode = rules.contains { $0.field == "owner_consent" || $0.field == "contract_id" } ? .failedPrecondition : .invalidArgument
        if !rules.isEmpty {
            if changeStatus == .failedPrecondition {
                throw LedgerError(.failedPrecondition, rules[0].description, violations: rules)
            }
            throw LedgerError.invalid(rules, what: "contract change")
        }
        if view.entity(contract.entityId) == nil {
            throw LedgerError.invalid([.init(field: "contract.entity_id", description: "no operating entity \(contract.entityId) exists")], what: "contract change")
        }
        if let asset = view.asset(contract.assetId), asset.lifecycle.stage == .disposed, contract.terminatedOn == nil || contract.lastDay > (asset.lifecycle.disposedOn ?? today) {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of; its contract can only be ended by the disposal day (\(asset.lifecycle.disposedOn?.description ?? "?"))")
        }
        if let other = overlapping(contract) {
            throw LedgerError(.failedPrecondition, "the new term overlaps contract \(other.id) of the same asset (\(other.start)–\(other.lastDay))",
                              violations: [.init(field: "contract.end", description: "overlaps contract \(other.id)")])
        }
        var summary: [String] = []
        if contract.entityId != current.entityId { summary.append("operator \(current.entityId) → \(contract.entityId)") }
        if contract.mode != current.mode { summary.append("mode \(current.mode.rawValue) → \(contract.mode.rawValue)") }
        if contract.start != current.start || contract.end != current.end { summary.append("term \(current.start)–\(current.end) → \(contract.start)–\(contract.end)") }
        if contract.payments != current.payments { summary.append("payments \(current.payments.count) → \(contract.payments.count) items") }
        if contract.committedPoorLabourers != current.committedPoorLabourers || contract.committedHouseholds != current.committedHouseholds {
            summary.append("commitments \(current.committedPoorLabourers)/\(current.committedHouseholds) → \(contract.committedPoorLabourers)/\(contract.committedHouseholds) (labourers/households)")
        }
        if contract.terminatedOn != current.terminatedOn, let day = contract.terminatedOn { summary.append("terminated on \(day)") }
        if summary.isEmpty {
            throw LedgerError.invalid([.init(field: "contract", description: "changes nothing; send the fields to change")], what: "contract change")
        }
        // A new operator answers from today for quarters and payments; before the
        // term began, the whole term is its own.
        contract.operatorSince = contract.entityId != current.entityId && today > current.start ? today : current.operatorSince
        contract.amendments = current.amendments + [ContractAmendment(date: today, summary: summary.joined(separator: "; "), consent: consent)]
        contract.version = current.version + 1
        contract.createdAt = current.createdAt
        contract.updatedAt = now
        return LedgerChange(contracts: [(contract, current)], outcome: .contract(contract))
    }

    mutating func submitReport(_ report: QuarterReport, _ expectedRevision: Int) throws -> LedgerChange {
        try reveal(view.entity(report.entityId)?.adminCode, "operating entity", report.entityId)
        var report = report
        guard view.entity(report.entityId) != nil else {
            throw LedgerError(.notFound, "no operating entity \(report.entityId) exists", violations: [.init(field: "report.entity_id", description: "not found")])
        }
        let current = view.report(of: report.entityId, report.quarter)
        if let current {
            if expectedRevision != 0, expectedRevision != current.revision {
                throw LedgerError(.aborted, "the \(report.quarter) report of \(report.entityId) is at revision \(current.revision), not \(expectedRevision); read it again")
            }
            if report.correctionReason.unicodeScalars.allSatisfy({ $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }) {
                throw LedgerError.invalid([.init(field: "report.correction_reason", description: "the \(report.quarter) report exists (revision \(current.revision)); a correction must say why it corrects it")], what: "report correction")
            }
            report.revision = current.revision + 1
            report.createdAt = current.createdAt
            // Lateness is judged on the first report; a correction does not make it late.
            report.submittedOn = current.submittedOn
        } else {
            if expectedRevision != 0 {
                throw LedgerError(.aborted, "no \(report.quarter) report of \(report.entityId) exists to correct (expected revision \(expectedRevision))")
            }
            report.revision = 1
            report.createdAt = now
        }
        report.updatedAt = now
        return LedgerChange(reports: [(report, current)], outcome: .report(report))
    }
}
