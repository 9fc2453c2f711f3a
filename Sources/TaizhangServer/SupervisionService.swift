// taizhang.supervision.v1.Supervision (issue 21): the units responsible for
// projects and their targets, each project's funds and milestones, the
// units' lights per quarter and the quarter's ranking. The rules are
// TaizhangCore's (ProgressRules, UnitLightRules, UnitRanking); here the
// wire's messages become mutations and the ledger's records answers.

import Foundation
import SwiftProtobuf
import TaizhangCore
import TaizhangProto
import TaizhangStore

enum SupervisionService {
    static func methods(store: any LedgerStore, context: LedgerContext, risk: any RiskConfigurationSource) -> [MethodSpec] {
        let handlers = Handlers(store: store, context: context, risk: risk)
        return [
            handlers.registerUnit, handlers.listUnits, handlers.setUnitTargets, handlers.recordMilestone, handlers.recordAllocation,
            handlers.recordDisbursement, handlers.assessProject, handlers.getProjectProgress, handlers.getUnitLights, handlers.rankUnits,
        ]
    }

    struct Handlers: Sendable {
        let store: any LedgerStore
        let context: LedgerContext
        let risk: any RiskConfigurationSource

        var rules: UnitLightRules { UnitLightRules(judgedDays: risk.current().unitLightJudgedDays, today: context.today) }

        var registerUnit: MethodSpec {
            Method.mutation(RPC.Supervision.registerUnit, store: store, readsFile: true, plan: { _, request in
                var bad: [FieldViolation] = []
                let kind: ResponsibleUnitKind? = EnumMapping.decode(request.unit.kind.rawValue, field: "unit.kind", what: "unit kind", into: &bad)
                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the version you read")) }
                guard let kind, bad.isEmpty else { throw LedgerError.invalid(bad, what: "responsible unit") }
                let unit = request.unit
                return .stewardship(.registerUnit(ResponsibleUnit(id: unit.id, name: unit.name, kind: kind, adminCode: unit.adminCode,
                                                                  head: unit.head, headPost: unit.headPost),
                                                  expectedVersion: request.expectedVersion))
            }, respond: { outcome in
                guard case .stewardship(.unit(let unit)) = outcome else { return Taizhang_Supervision_V1_ResponsibleUnit() }
                return SupervisionMapping.unit(unit)
            })
        }

        var listUnits: MethodSpec {
            Method.fileRead(RPC.Supervision.listUnits) { _, request in
                var response = Taizhang_Supervision_V1_ListUnitsResponse()
                response.units = try units(adminCode: request.adminCode).map(SupervisionMapping.unit)
                return try response.serializedBytes()
            }
        }

        var setUnitTargets: MethodSpec {
            Method.mutation(RPC.Supervision.setUnitTargets, store: store, readsFile: true, plan: { _, request in
                var bad: [FieldViolation] = []
                let date = Decode.date(request.date, field: "date", required: true, into: &bad)
                let quarters = request.quarters.enumerated().map { index, quarter in
                    QuarterTarget(spendFen: quarter.spendFen, milestones: quarter.milestones.enumerated().compactMap { position, wanted in
                        let milestone: ProjectMilestone? = EnumMapping.decode(wanted.milestone.rawValue, field: "quarters[\(index)].milestones[\(position)].milestone",
                                                                              what: "milestone", into: &bad)
                        return milestone.map { MilestoneTarget(projectId: wanted.projectID, milestone: $0) }
                    })
                }
                if request.unitID.isEmpty { bad.append(.init(field: "unit_id", description: "is required: the responsible unit (DW…)")) }
                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the version you read")) }
                guard let date, bad.isEmpty else { throw LedgerError.invalid(bad, what: "targets") }
                return .stewardship(.setTargets(unitId: request.unitID, year: Int(request.year), quarters: quarters, on: date,
                                                reason: request.reason, expectedVersion: request.expectedVersion))
            }, respond: { outcome in
                guard case .stewardship(.unit(let unit)) = outcome else { return Taizhang_Supervision_V1_ResponsibleUnit() }
                return SupervisionMapping.unit(unit)
            })
        }

        var recordMilestone: MethodSpec {
            progressStep(RPC.Supervision.recordMilestone) { request, bad in
                let milestone: ProjectMilestone? = EnumMapping.decode(request.milestone.rawValue, field: "milestone", what: "milestone", into: &bad)
                let date = Decode.date(request.date, field: "date", required: true, into: &bad)
                bad += ProgressRules.entryViolations(amountFen: nil, document: SupervisionMapping.document(request.document), prefix: "")
                guard let milestone, let date else { return nil }
                let entry = MilestoneEntry(milestone: milestone, on: date, document: SupervisionMapping.document(request.document), note: request.note)
                return .recordMilestone(projectId: request.projectID, entry: entry, unitId: request.unitID)
            }
        }

        var recordAllocation: MethodSpec {
            progressStep(RPC.Supervision.recordAllocation) { request, bad in
                let line = request.allocation
                guard let (source, level, date) = Self.fundLine(line.source, line.level, line.date, line.amountFen, line.document, "allocation.", &bad) else { return nil }
                return .recordAllocation(projectId: request.projectID, FundAllocation(
                    year: Int(line.year), source: source, level: level, amountFen: line.amountFen, on: date,
                    document: SupervisionMapping.document(line.document), note: line.note))
            }
        }

        var recordDisbursement: MethodSpec {
            progressStep(RPC.Supervision.recordDisbursement) { request, bad in
                let line = request.disbursement
                guard let (source, level, date) = Self.fundLine(line.source, line.level, line.date, line.amountFen, line.document, "disbursement.", &bad) else { return nil }
                return .recordDisbursement(projectId: request.projectID, FundDisbursement(
                    on: date, source: source, level: level, amountFen: line.amountFen, payee: line.payee,
                    document: SupervisionMapping.document(line.document), note: line.note))
            }
        }

        var assessProject: MethodSpec {
            Method.mutation(RPC.Supervision.assessProject, store: store, readsFile: true, plan: { _, request in
                var bad: [FieldViolation] = []
                if request.projectID.isEmpty { bad.append(.init(field: "project_id", description: "is required")) }
                let date = Decode.date(request.date, field: "date", required: true, into: &bad)
                let facts = request.facts
                let assessment = ProjectAssessment(projectId: request.projectID, entityId: request.entityID, on: date ?? context.today, facts: AssessmentFacts(
                    annualOutputFen: facts.annualOutputFen, investmentFen: facts.investmentFen, channels: facts.channels,
                    orderSharePercent: Int(facts.orderSharePercent), householdsLinked: Int(facts.householdsLinked),
                    householdsPlanned: Int(facts.householdsPlanned), violations: facts.violations), assessors: request.assessors)
                bad += AssessmentRules.violations(assessment.facts)
                guard date != nil, bad.isEmpty else { throw LedgerError.invalid(bad, what: "assessment") }
                return .stewardship(.assessProject(assessment, weakBelow: risk.current().scoreYellowBelow))
            }, respond: { outcome in
                guard case .stewardship(.assessment(let assessment)) = outcome else { return Taizhang_Supervision_V1_Assessment() }
                return SupervisionMapping.assessment(assessment)
            })
        }

        var getProjectProgress: MethodSpec {
            Method.fileRead(RPC.Supervision.getProjectProgress) { _, request in
                var bad: [FieldViolation] = []
                let asOf = Decode.date(request.asOf, field: "as_of", required: false, into: &bad) ?? context.today
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "request") }
                guard let project = store.project(id: request.projectID) else {
                    throw LedgerError(.notFound, "no project \"\(request.projectID)\" exists", violations: [.init(field: "project_id", description: "not found")])
                }
                guard let progress = try SupervisionReads.project(store, project.id) else {
                    var empty = Taizhang_Supervision_V1_ProjectProgress()
                    (empty.projectID, empty.projectName, empty.adminCode, empty.asOf) = (project.id, project.name, project.adminCode, asOf.description)
                    return try empty.serializedBytes()
                }
                var out = SupervisionMapping.progress(progress, name: project.name, asOf: asOf, paymentsLoaded: true)
                out.assessments = try progress.assessmentIds.compactMap { id in
                    guard case .assessment(let assessment)? = try store.stewardshipRecord(.assessment, id: id) else { return nil }
                    return SupervisionMapping.assessment(assessment)
                }
                return try out.serializedBytes()
            }
        }

        var getUnitLights: MethodSpec {
            Method.fileRead(RPC.Supervision.getUnitLights) { _, request in
                let year = request.year == 0 ? context.today.year : Int(request.year)
                guard (2000...context.today.year + 1).contains(year) else {
                    throw LedgerError.invalid([.init(field: "year", description: "is \(year); lights are kept for 2000 to \(context.today.year + 1)")])
                }
                guard case .unit(let unit)? = try store.stewardshipRecord(.responsibleUnit, id: request.unitID) else {
                    throw LedgerError(.notFound, "no responsible unit \"\(request.unitID)\" exists", violations: [.init(field: "unit_id", description: "not found")])
                }
                let projects = try self.projects(of: unit.id)
                let rules = self.rules
                var response = Taizhang_Supervision_V1_UnitLights()
                response.unit = SupervisionMapping.unit(unit)
                response.year = Int32(year)
                response.quarters = (1...4).map { number in
                    let quarter = Quarter(year: year, number: number)!
                    return SupervisionMapping.light(rules.judge(unit, quarter, projects: projects), recorded: unit.judgement(quarter) != nil)
                }
                return try response.serializedBytes()
            }
        }

        var rankUnits: MethodSpec {
            Method.fileRead(RPC.Supervision.rankUnits) { call, request in
                let rules = self.rules
                let quarter: Quarter
                if request.quarter.isEmpty {
                    quarter = rules.latestJudged
                } else if let asked = Quarter(request.quarter), asked.year >= 2000 {
                    quarter = asked
                } else {
                    throw LedgerError.invalid([.init(field: "quarter", description: "\"\(request.quarter)\" is not a quarter; write e.g. 2026Q2")])
                }
                var judged: [(ResponsibleUnit, QuarterJudgement)] = []
                for unit in try units(adminCode: "") {
                    judged.append((unit, rules.judge(unit, quarter, projects: try projects(of: unit.id))))
                }
                let ranks = UnitRanking.rank(judged)
                let visible = ScopeGuard.codes(call, store)
                var response = Taizhang_Supervision_V1_RankUnitsResponse()
                response.quarter = quarter.description
                response.unitsRanked = Int32(ranks.count)
                response.ranks = ranks.filter { visible?.contains($0.unit.adminCode) ?? true }.map(SupervisionMapping.rank)
                return try response.serializedBytes()
            }
        }

        // MARK: Helpers

        /// An allocation's or payment's line, day, amount and document read,
        /// every bad field added to `bad` (each under `prefix`).
        static func fundLine(_ source: Taizhang_Ledger_V1_FundingSource, _ level: Taizhang_Supervision_V1_FundLevel, _ date: String, _ fen: Int64,
                             _ document: Taizhang_Ledger_V1_Document, _ prefix: String, _ bad: inout [FieldViolation]) -> (FundingSource, FundLevel, CivilDate)? {
            let source: FundingSource? = EnumMapping.decode(source.rawValue, field: prefix + "source", what: "funding source", into: &bad)
            let level: FundLevel? = EnumMapping.decode(level.rawValue, field: prefix + "level", what: "fund level", into: &bad)
            let day = Decode.date(date, field: prefix + "date", required: true, into: &bad)
            bad += ProgressRules.entryViolations(amountFen: fen, document: SupervisionMapping.document(document), prefix: prefix)
            guard let source, let level, let day else { return nil }
            return (source, level, day)
        }

        /// A project's step: the project id and the rest of the request read
        /// by `entry` (adding what is wrong to `bad`).
        private func progressStep<Request: ProgressRequest>(
            _ method: RPCMethod<Request, Taizhang_Supervision_V1_ProjectProgress>,
            entry: @escaping @Sendable (Request, inout [FieldViolation]) -> StewardshipChange?
        ) -> MethodSpec {
            Method.mutation(method, store: store, readsFile: true, plan: { _, request in
                var bad: [FieldViolation] = []
                if request.projectID.isEmpty { bad.append(.init(field: "project_id", description: "is required")) }
                let change = entry(request, &bad)
                guard let change, bad.isEmpty else { throw LedgerError.invalid(bad, what: "request") }
                return .stewardship(change)
            }, respond: { [store, context] outcome in
                guard case .stewardship(.progress(let progress)) = outcome else { return Taizhang_Supervision_V1_ProjectProgress() }
                return SupervisionMapping.progress(progress, name: store.cachedProject(id: progress.id)?.name ?? "", asOf: context.today, paymentsLoaded: false)
            })
        }

        func units(adminCode: String) throws -> [ResponsibleUnit] { try SupervisionReads.units(store, adminCode: adminCode) }
        func projects(of unitId: String) throws -> [String: ProjectProgress] { try SupervisionReads.projects(store, of: unitId) }
    }
}

/// The requests of a project's steps.
protocol ProgressRequest: SwiftProtobuf.Message {
    var projectID: String { get }
}
extension Taizhang_Supervision_V1_RecordMilestoneRequest: ProgressRequest {}
extension Taizhang_Supervision_V1_RecordAllocationRequest: ProgressRequest {}
extension Taizhang_Supervision_V1_RecordDisbursementRequest: ProgressRequest {}
