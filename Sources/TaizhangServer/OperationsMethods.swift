// taizhang.ledger.v1.Ledger, continued: operating entities 带贫主体, their
// operation contracts and quarterly reports. Validated here with every bad
// field at once; references, uniqueness and versions are checked by the
// store at commit time.

import TaizhangCore
import TaizhangProto

extension LedgerService {
    static func operationsMethods(store: any LedgerStore, context: LedgerContext, risk: any RiskConfigurationSource) -> [MethodSpec] {
        let handlers = OperationsHandlers(store: store, context: context, risk: risk)
        return [
            handlers.createEntity,
            handlers.getEntity,
            handlers.listEntities,
            handlers.updateEntity,
            handlers.createContract,
            handlers.getContract,
            handlers.listContracts,
            handlers.amendContract,
            handlers.submitReport,
            handlers.listReports,
        ]
    }

    static func checkedEntity(_ proto: Taizhang_Ledger_V1_OperatingEntity, store: any LedgerStore) throws -> OperatingEntity {
        var bad: [FieldViolation] = []
        let entity = OperationsMapping.decode(proto, into: &bad)
        let unreadable = Set(bad.map(\.field))
        bad += OperationsRules.validate(entity).map { $0.prefixed("entity") }.filter { !unreadable.contains($0.field) }
        if AdminUnitRules.isDivisionCode(entity.adminCode), store.adminUnit(code: entity.adminCode) == nil {
            bad.append(.init(field: "entity.admin_code", description: "no admin unit \(entity.adminCode) exists"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "entity") }
        return entity
    }

    static func checkedContract(_ proto: Taizhang_Ledger_V1_OperationContract) throws -> OperationContract {
        var bad: [FieldViolation] = []
        let contract = OperationsMapping.decode(proto, prefix: "contract", into: &bad)
        let unreadable = Set(bad.map(\.field))
        bad += OperationsRules.validate(contract).map { $0.prefixed("contract") }.filter { !unreadable.contains($0.field) }
        if !proto.terminatedOn.isEmpty {
            bad.append(.init(field: "contract.terminated_on", description: "a new contract is not terminated; end one with AmendContract"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "contract") }
        return contract
    }
}

/// Reads the monitor's current configuration (it may be reloaded).
protocol RiskConfigurationSource: Sendable {
    func current() -> RiskConfiguration
}

/// proto ↔ core for entities, contracts and reports.
enum OperationsMapping {
    static func decode(_ proto: Taizhang_Ledger_V1_OperatingEntity, into bad: inout [FieldViolation]) -> OperatingEntity {
        let kind: EntityKind? = EnumMapping.decode(proto.kind.rawValue, field: "entity.kind", what: "entity kind", into: &bad)
        return OperatingEntity(id: proto.id, name: proto.name, kind: kind ?? .other, adminCode: proto.adminCode,
                               creditCode: proto.creditCode, legalRepresentative: proto.legalRepresentative, contact: proto.contact)
    }

    static func encode(_ entity: OperatingEntity) -> Taizhang_Ledger_V1_OperatingEntity {
        var out = Taizhang_Ledger_V1_OperatingEntity()
        out.id = entity.id
        out.name = entity.name
        out.kind = .init(rawValue: EnumMapping.encode(entity.kind)) ?? .unspecified
        out.adminCode = entity.adminCode
        out.creditCode = entity.creditCode
        out.legalRepresentative = entity.legalRepresentative
        out.contact = entity.contact
        out.version = entity.version
        out.createdAt = entity.createdAt
        out.updatedAt = entity.updatedAt
        return out
    }

    static func decode(_ proto: Taizhang_Ledger_V1_OperationContract, prefix: String, into bad: inout [FieldViolation]) -> OperationContract {
        let mode: OperationMode? = EnumMapping.decode(proto.mode.rawValue, field: "\(prefix).mode", what: "operation mode", into: &bad)
        let start = Decode.date(proto.start, field: "\(prefix).start", required: true, into: &bad)
        let end = Decode.date(proto.end, field: "\(prefix).end", required: true, into: &bad)
        let terminated = Decode.date(proto.terminatedOn, field: "\(prefix).terminated_on", required: false, into: &bad)
        var payments: [PaymentDue] = []
        if proto.payments.count > OperationsLimits.paymentsMaxCount {
            bad.append(.init(field: "\(prefix).payments", description: "has \(proto.payments.count) items; at most \(OperationsLimits.paymentsMaxCount)"))
        } else {
            for (index, payment) in proto.payments.enumerated() {
                let kind: PaymentKind? = EnumMapping.decode(payment.kind.rawValue, field: "\(prefix).payments[\(index)].kind", what: "payment kind", into: &bad)
                let due = Decode.date(payment.dueDate, field: "\(prefix).payments[\(index)].due_date", required: true, into: &bad)
                payments.append(PaymentDue(kind: kind ?? .rent, dueDate: due ?? CivilDate.first, amountFen: payment.amountFen))
            }
        }
        return OperationContract(id: proto.id, assetId: proto.assetID, entityId: proto.entityID, mode: mode ?? .contracting,
                                 start: start ?? CivilDate.first, end: end ?? (start ?? CivilDate.first), payments: payments,
                                 committedPoorLabourers: Int(proto.committedPoorLabourers), committedHouseholds: Int(proto.committedHouseholds),
                                 terminatedOn: terminated)
    }

    static func encode(_ contract: OperationContract) -> Taizhang_Ledger_V1_OperationContract {
        var out = Taizhang_Ledger_V1_OperationContract()
        out.id = contract.id
        out.assetID = contract.assetId
        out.entityID = contract.entityId
        out.mode = .init(rawValue: EnumMapping.encode(contract.mode)) ?? .unspecified
        out.start = contract.start.description
        out.end = contract.end.description
        out.payments = contract.payments.map { payment in
            var item = Taizhang_Ledger_V1_PaymentDue()
            item.kind = .init(rawValue: EnumMapping.encode(payment.kind)) ?? .unspecified
            item.dueDate = payment.dueDate.description
            item.amountFen = payment.amountFen
            return item
        }
        out.committedPoorLabourers = Int32(clamping: contract.committedPoorLabourers)
        out.committedHouseholds = Int32(clamping: contract.committedHouseholds)
        out.terminatedOn = contract.terminatedOn?.description ?? ""
        out.operatorSince = contract.operatorSince?.description ?? ""
        out.amendments = contract.amendments.map { amendment in
            var item = Taizhang_Ledger_V1_ContractAmendment()
            item.date = amendment.date.description
            item.summary = amendment.summary
            if let consent = amendment.consent {
                item.consent.date = consent.date.description
                item.consent.consentedBy = consent.consentedBy
                item.consent.reference = consent.reference
            }
            return item
        }
        out.version = contract.version
        out.createdAt = contract.createdAt
        out.updatedAt = contract.updatedAt
        return out
    }

    /// The report, or nil when its quarter cannot be read (then `bad` says why).
    static func decode(_ proto: Taizhang_Ledger_V1_QuarterReport, into bad: inout [FieldViolation]) -> QuarterReport? {
        let quarter = Quarter(proto.quarter)
        if quarter == nil {
            bad.append(.init(field: "report.quarter", description: proto.quarter.isEmpty ? "is required: the quarter, e.g. 2026Q3" : "\"\(proto.quarter)\" is not a quarter; write e.g. 2026Q3"))
        }
        let submitted = Decode.date(proto.submittedOn, field: "report.submitted_on", required: true, into: &bad)
        guard let quarter, let submitted else { return nil }
        return QuarterReport(entityId: proto.entityID, quarter: quarter, outputValueFen: proto.outputValueFen,
                             salesRevenueFen: proto.salesRevenueFen, salesChannels: proto.salesChannels, profitFen: proto.profitFen,
                             paymentsDueFen: proto.paymentsDueFen, paymentsPaidFen: proto.paymentsPaidFen,
                             poorLabourersEmployed: Int(proto.poorLabourersEmployed), householdsLinked: Int(proto.householdsLinked),
                             dividendsPaidFen: proto.dividendsPaidFen, supportMeasures: proto.supportMeasures,
                             targetOutputValueFen: proto.targetOutputValueFen, targetSalesRevenueFen: proto.targetSalesRevenueFen,
                             submittedOn: submitted, correctionReason: proto.correctionReason)
    }

    static func encode(_ report: QuarterReport, rules: RiskRules) -> Taizhang_Ledger_V1_QuarterReport {
        var out = Taizhang_Ledger_V1_QuarterReport()
        out.entityID = report.entityId
        out.quarter = report.quarter.description
        out.outputValueFen = report.outputValueFen
        out.salesRevenueFen = report.salesRevenueFen
        out.salesChannels = report.salesChannels
        out.profitFen = report.profitFen
        out.paymentsDueFen = report.paymentsDueFen
        out.paymentsPaidFen = report.paymentsPaidFen
        out.poorLabourersEmployed = Int32(clamping: report.poorLabourersEmployed)
        out.householdsLinked = Int32(clamping: report.householdsLinked)
        out.dividendsPaidFen = report.dividendsPaidFen
        out.supportMeasures = report.supportMeasures
        out.targetOutputValueFen = report.targetOutputValueFen
        out.targetSalesRevenueFen = report.targetSalesRevenueFen
        out.submittedOn = report.submittedOn.description
        out.revision = Int32(clamping: report.revision)
        out.correctionReason = report.correctionReason
        let due = rules.reportDue(report.quarter)
        out.dueDate = due.description
        out.late = report.submittedOn > due
        out.createdAt = report.createdAt
        out.updatedAt = report.updatedAt
        return out
    }
}

extension LedgerService {
    /// The methods of operating entities, contracts and reports, each a MethodSpec bound to the store.
    struct OperationsHandlers: Sendable {
        let store: any LedgerStore
        let context: LedgerContext
        let risk: any RiskConfigurationSource

        var entityResponse: @Sendable (MutationOutcome) -> Taizhang_Ledger_V1_OperatingEntity {
            { outcome in
                guard case .entity(let entity) = outcome else { return .init() }
                return OperationsMapping.encode(entity)
            }
        }
        /// The weak assessments of `entityId` (000 二(一)) of projects the
        /// caller may see (`visible`: its scope's codes, nil for all).
        func entityRisks(_ entityId: String, visible: Set<String>?) throws -> [Taizhang_Ledger_V1_EntityRisk] {
            let page = try store.stewardshipRecords(StewardshipFilter(.assessment, states: [entityId]), after: nil, limit: ProgressRules.assessmentsMax * 50)
            let weakBelow = risk.current().scoreYellowBelow
            return page.records.compactMap { record -> Taizhang_Ledger_V1_EntityRisk? in
                guard case .assessment(let assessment) = record, assessment.weak, visible?.contains(assessment.adminCode) ?? true else { return nil }
                let weakParts = assessment.parts.filter { $0.score < weakBelow }
                var risk = Taizhang_Ledger_V1_EntityRisk()
                (risk.assessmentID, risk.projectID, risk.date, risk.total) = (assessment.id, assessment.projectId, assessment.on.description, Int32(assessment.total))
                risk.summary = "项目\(assessment.projectId)前期评估\(assessment.total)分（较弱）：" + weakParts.map { "\($0.part.chineseName)\($0.score)分，" + $0.reasons.map(\.chinese).joined(separator: "；") }.joined(separator: "；")
                risk.summaryEn = "assessed for project \(assessment.projectId) at \(assessment.total) (weak): " + weakParts.map { "\($0.part.rawValue) \($0.score), " + $0.reasons.map(\.english).joined(separator: "; ") }.joined(separator: "; ")
                return risk
            }
        }

        var contractResponse: @Sendable (MutationOutcome) -> Taizhang_Ledger_V1_OperationContract {
            { outcome in
                guard case .contract(let contract) = outcome else { return .init() }
                return OperationsMapping.encode(contract)
            }
        }

        var createEntity: MethodSpec {
            Method.mutation(RPC.Ledger.createEntity, store: store,
                            plan: { _, request in
                                .createEntity(try checkedEntity(request.entity, store: store))
                            }, respond: entityResponse)
        }

        var getEntity: MethodSpec {
            // Entities are read from the ledger file: off the event loop.
            Method.fileRead(RPC.Ledger.getEntity) { _, request in
                guard let entity = try store.entity(id: request.id) else {
                    throw LedgerError(.notFound, "no operating entity \"\(request.id)\" exists; entity ids look like ZT00000001 (ListEntities shows them)")
                }
                return try OperationsMapping.encode(entity).serializedBytes()
            }
        }

        var listEntities: MethodSpec {
            Method.fileRead(RPC.Ledger.listEntities) { _, request in
                var bad: [FieldViolation] = []
                let limit = try pageSize(request.pageSize)
                let after = try PageToken.decode(request.pageToken)
                if !request.adminCode.isEmpty, store.adminUnit(code: request.adminCode) == nil {
                    bad.append(.init(field: "admin_code", description: "no admin unit \(request.adminCode) exists"))
                }
                var kind: EntityKind?
                if request.kind != .unspecified {
                    kind = EnumMapping.decode(request.kind.rawValue, field: "kind", what: "entity kind", into: &bad)
                }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let page = try store.entities(adminCode: request.adminCode.isEmpty ? nil : request.adminCode, kind: kind, after: after, limit: limit)
                var response = Taizhang_Ledger_V1_ListEntitiesResponse()
                response.entities = page.records.map(OperationsMapping.encode)
                response.nextPageToken = page.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(page.total)
                return try response.serializedBytes()
            }
        }

        var updateEntity: MethodSpec {
            Method.mutation(RPC.Ledger.updateEntity, store: store,
                            plan: { _, request in
                                if request.entity.id.isEmpty {
                                    throw LedgerError.invalid([.init(field: "entity.id", description: "is required: the id of the entity to change")], what: "update")
                                }
                                if request.expectedVersion < 0 {
                                    throw LedgerError.invalid([.init(field: "expected_version", description: "must be 0 (no check) or the version you read")], what: "update")
                                }
                                var entity = try checkedEntity(request.entity, store: store)
                                entity.id = request.entity.id
                                return .updateEntity(entity, expectedVersion: request.expectedVersion)
                            }, respond: entityResponse)
        }

        var createContract: MethodSpec {
            Method.mutation(RPC.Ledger.createContract, store: store,
                            plan: { _, request in
                                .createContract(try checkedContract(request.contract))
                            }, respond: contractResponse)
        }

        var getContract: MethodSpec {
            // Contracts are read from the ledger file: off the event loop.
            Method.fileRead(RPC.Ledger.getContract) { call, request in
                guard let contract = try store.contract(id: request.id) else {
                    throw LedgerError(.notFound, "no contract \"\(request.id)\" exists; contract ids look like HT00000001 (ListContracts shows them)")
                }
                var out = OperationsMapping.encode(contract)
                out.entityRisks = try entityRisks(contract.entityId, visible: ScopeGuard.codes(call, store))
                return try out.serializedBytes()
            }
        }

        var listContracts: MethodSpec {
            // Contracts are read from the ledger file: off the event loop.
            Method.fileRead(RPC.Ledger.listContracts) { call, request in
                let limit = try pageSize(request.pageSize)
                let after = try PageToken.decode(request.pageToken)
                let entity = request.entityID.isEmpty ? nil : request.entityID
                let asset = request.assetID.isEmpty ? nil : request.assetID
                var page = try store.contracts(entityId: entity, assetId: asset, after: after, limit: limit)
                if let scope = ScopeGuard.codes(call, store) {
                    // An entity in the scope may operate assets outside it: a
                    // scoped identity sees only the contracts on its own assets.
                    let all = try store.contracts(entityId: entity, assetId: asset, after: nil, limit: 1_000_000).records
                    let located = store.assetLocations(all.map(\.assetId))
                    let visible = all.filter { scope.contains(located[$0.assetId] ?? "") }
                    let rest = visible.filter { contract in after.map { contract.id > $0 } ?? true }
                    let slice = Array(rest.prefix(limit))
                    page = Page(records: slice, nextAfter: rest.count > slice.count ? slice.last?.id : nil, total: visible.count)
                }
                var response = Taizhang_Ledger_V1_ListContractsResponse()
                let visible = ScopeGuard.codes(call, store)
                var risks: [String: [Taizhang_Ledger_V1_EntityRisk]] = [:]
                response.contracts = try page.records.map { contract in
                    var out = OperationsMapping.encode(contract)
                    if risks[contract.entityId] == nil { risks[contract.entityId] = try entityRisks(contract.entityId, visible: visible) }
                    out.entityRisks = risks[contract.entityId] ?? []
                    return out
                }
                response.nextPageToken = page.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(page.total)
                return try response.serializedBytes()
            }
        }

        var amendContract: MethodSpec {
            // The plan reads the contract from the ledger file: staged off the event loop.
            Method.mutation(RPC.Ledger.amendContract, store: store, readsFile: true,
                            plan: { _, request in
                                let id = request.contract.id
                                if id.isEmpty {
                                    throw LedgerError.invalid([.init(field: "contract.id", description: "is required: the id of the contract to change")], what: "contract change")
                                }
                                guard let current = try store.contract(id: id) else {
                                    throw LedgerError(.notFound, "no contract \"\(id)\" exists", violations: [.init(field: "contract.id", description: "not found")])
                                }
                                var proto = request.contract
                                // The asset never changes: a new asset needs a new contract.
                                proto.assetID = current.assetId
                                var bad: [FieldViolation] = []
                                let contract = OperationsMapping.decode(proto, prefix: "contract", into: &bad)
                                var consent: OwnerConsent?
                                if request.hasOwnerConsent {
                                    let date = Decode.date(request.ownerConsent.date, field: "owner_consent.date", required: true, into: &bad)
                                    consent = OwnerConsent(date: date ?? context.today, consentedBy: request.ownerConsent.consentedBy,
                                                           reference: request.ownerConsent.reference)
                                }
                                let unreadable = Set(bad.map(\.field))
                                bad += OperationsRules.validate(contract).map { $0.prefixed("contract") }.filter { !unreadable.contains($0.field) }
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "contract change") }
                                var amended = contract
                                amended.id = id
                                return .amendContract(amended, consent: consent, expectedVersion: request.expectedVersion)
                            }, respond: contractResponse)
        }

        var submitReport: MethodSpec {
            Method.mutation(RPC.Ledger.submitReport, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                let report = OperationsMapping.decode(request.report, into: &bad)
                                if let report {
                                    bad += OperationsRules.validate(report, today: context.today).map { $0.prefixed("report") }
                                }
                                if request.expectedRevision < 0 {
                                    bad.append(.init(field: "expected_revision", description: "must be 0 (no check) or the revision you read"))
                                }
                                guard let report, bad.isEmpty else { throw LedgerError.invalid(bad, what: "report") }
                                return .submitReport(report, expectedRevision: Int(request.expectedRevision))
                            }, respond: { outcome in
                                guard case .report(let report) = outcome else { return .init() }
                                return OperationsMapping.encode(report, rules: RiskRules(configuration: risk.current(), today: context.today))
                            })
        }

        var listReports: MethodSpec {
            // Reports are read from the ledger file: off the event loop.
            Method.fileRead(RPC.Ledger.listReports) { _, request in
                var bad: [FieldViolation] = []
                let from = request.fromQuarter.isEmpty ? nil : Quarter(request.fromQuarter)
                let to = request.toQuarter.isEmpty ? nil : Quarter(request.toQuarter)
                if !request.fromQuarter.isEmpty, from == nil { bad.append(.init(field: "from_quarter", description: "\"\(request.fromQuarter)\" is not a quarter; write e.g. 2026Q3")) }
                if !request.toQuarter.isEmpty, to == nil { bad.append(.init(field: "to_quarter", description: "\"\(request.toQuarter)\" is not a quarter; write e.g. 2026Q3")) }
                if request.entityID.isEmpty { bad.append(.init(field: "entity_id", description: "is required")) }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "request") }
                guard try store.entity(id: request.entityID) != nil else {
                    throw LedgerError(.notFound, "no operating entity \"\(request.entityID)\" exists")
                }
                let reports = try store.reports(of: request.entityID)
                let contracts = try store.operations(entities: [request.entityID], contracts: [], assets: []).contracts(ofEntity: request.entityID)
                let rules = RiskRules(configuration: risk.current(), today: context.today)
                var response = Taizhang_Ledger_V1_ListReportsResponse()
                response.reports = reports.values.filter { (from == nil || $0.quarter >= from!) && (to == nil || $0.quarter <= to!) }
                    .sorted { $0.quarter < $1.quarter }.map { OperationsMapping.encode($0, rules: rules) }
                // Missing: owed, due and absent, between the first contract's start and now.
                if let first = contracts.map(\.start).min() {
                    // At most the last 100 years (400 quarters) are walked.
                    let floor = Quarter(containing: context.today.adding(days: -36_500))
                    var quarter = max(Quarter(containing: first), from ?? Quarter(containing: first), floor)
                    let last = min(Quarter(containing: context.today), to ?? Quarter(containing: context.today))
                    var steps = 0
                    while quarter <= last, steps < 400 {
                        if reports[quarter] == nil, rules.expects(quarter, contracts: contracts), rules.isDue(quarter) {
                            response.missingQuarters.append(quarter.description)
                        }
                        if quarter.next == quarter { break }
                        quarter = quarter.next
                        steps += 1
                    }
                }
                return try response.serializedBytes()
            }
        }
    }
}
