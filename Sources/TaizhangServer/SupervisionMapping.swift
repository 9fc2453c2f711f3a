// core → proto for the supervision service (issue 21).

import SwiftProtobuf
import TaizhangCore
import TaizhangProto

enum SupervisionMapping {
    static func document(_ document: Taizhang_Ledger_V1_Document) -> Document {
        Document(name: document.name, kind: document.kind, sha256: document.sha256)
    }

    static func document(_ document: Document) -> Taizhang_Ledger_V1_Document {
        var out = Taizhang_Ledger_V1_Document()
        (out.name, out.kind, out.sha256) = (document.name, document.kind, document.sha256)
        return out
    }

    static func enumValue<E: CaseIterable & Equatable, P: SwiftProtobuf.Enum>(_ value: E) -> P where E.AllCases.Index == Int {
        P(rawValue: EnumMapping.encode(value)) ?? P()
    }

    static func unit(_ unit: ResponsibleUnit) -> Taizhang_Supervision_V1_ResponsibleUnit {
        var out = Taizhang_Supervision_V1_ResponsibleUnit()
        (out.id, out.name, out.adminCode, out.head, out.headPost) = (unit.id, unit.name, unit.adminCode, unit.head, unit.headPost)
        out.kind = enumValue(unit.kind)
        out.years = unit.years.map { year in
            var targets = Taizhang_Supervision_V1_YearTargets()
            targets.year = Int32(year.year)
            targets.quarters = year.quarters.map(quarter)
            targets.spendFen = year.spendFen
            targets.revisions = year.revisions.map { revision in
                var entry = Taizhang_Supervision_V1_TargetRevision()
                (entry.date, entry.reason, entry.by) = (revision.on.description, revision.reason, revision.by?.name ?? "")
                (entry.identity, entry.recordedAt) = (revision.identity, revision.recordedAt)
                entry.before = revision.before.map(quarter)
                return entry
            }
            return targets
        }
        (out.version, out.createdAt, out.updatedAt) = (unit.version, unit.createdAt, unit.updatedAt)
        return out
    }

    static func quarter(_ target: QuarterTarget) -> Taizhang_Supervision_V1_QuarterTarget {
        var out = Taizhang_Supervision_V1_QuarterTarget()
        out.spendFen = target.spendFen
        out.milestones = target.milestones.map(milestone)
        return out
    }

    static func milestone(_ target: MilestoneTarget) -> Taizhang_Supervision_V1_MilestoneTarget {
        var out = Taizhang_Supervision_V1_MilestoneTarget()
        out.projectID = target.projectId
        out.milestone = enumValue(target.milestone)
        return out
    }

    static func meta(_ meta: ProgressEntryMeta) -> Taizhang_Supervision_V1_EntryMeta {
        var out = Taizhang_Supervision_V1_EntryMeta()
        (out.identity, out.actor, out.recordedAt) = (meta.identity, meta.actor, meta.recordedAt)
        return out
    }

    /// A project's progress; without its payments loaded (a mutation's
    /// answer), no payment is listed and the spending is the total.
    static func progress(_ progress: ProjectProgress, name: String, asOf: CivilDate, paymentsLoaded: Bool) -> Taizhang_Supervision_V1_ProjectProgress {
        var out = Taizhang_Supervision_V1_ProjectProgress()
        (out.projectID, out.projectName, out.adminCode, out.unitID) = (progress.id, name, progress.adminCode, progress.unitId)
        out.allocations = progress.allocations.map { entry in
            var line = Taizhang_Supervision_V1_Allocation()
            (line.year, line.amountFen, line.date, line.note) = (Int32(entry.year), entry.amountFen, entry.on.description, entry.note)
            (line.source, line.level) = (enumValue(entry.source), enumValue(entry.level))
            (line.document, line.meta) = (document(entry.document), meta(entry.meta))
            return line
        }
        out.disbursements = progress.disbursements.map { entry in
            var line = Taizhang_Supervision_V1_Disbursement()
            (line.date, line.amountFen, line.payee, line.note) = (entry.on.description, entry.amountFen, entry.payee, entry.note)
            (line.source, line.level) = (enumValue(entry.source), enumValue(entry.level))
            (line.document, line.meta) = (document(entry.document), meta(entry.meta))
            return line
        }
        out.milestones = progress.milestones.map { entry in
            var line = Taizhang_Supervision_V1_MilestoneEntry()
            (line.milestone, line.date, line.note) = (enumValue(entry.milestone), entry.on.description, entry.note)
            (line.document, line.meta) = (document(entry.document), meta(entry.meta))
            return line
        }
        out.asOf = asOf.description
        if let stage = progress.stage(on: asOf) { out.stage = enumValue(stage) }
        out.allocatedFen = progress.allocatedFen(through: asOf)
        out.spentFen = paymentsLoaded ? progress.spentFen(through: asOf) : progress.spentFen()
        out.version = progress.version
        return out
    }

    static func assessment(_ assessment: ProjectAssessment) -> Taizhang_Supervision_V1_Assessment {
        var out = Taizhang_Supervision_V1_Assessment()
        (out.id, out.projectID, out.entityID, out.entityName) = (assessment.id, assessment.projectId, assessment.entityId, assessment.entityName)
        out.date = assessment.on.description
        let facts = assessment.facts
        out.facts = .with {
            ($0.annualOutputFen, $0.investmentFen, $0.channels) = (facts.annualOutputFen, facts.investmentFen, facts.channels)
            ($0.orderSharePercent, $0.householdsLinked, $0.householdsPlanned) = (Int32(facts.orderSharePercent), Int32(facts.householdsLinked), Int32(facts.householdsPlanned))
            $0.violations = facts.violations
        }
        out.parts = assessment.parts.map { part in
            var score = Taizhang_Risk_V1_ScorePart()
            (score.part, score.partZh, score.score, score.weight) = (part.part.rawValue, part.part.chineseName, Int32(part.score), Int32(part.part.weight))
            score.reasons = part.reasons.map(RiskMapping.reason)
            return score
        }
        (out.total, out.weak, out.assessors, out.identity, out.createdAt) = (Int32(assessment.total), assessment.weak, assessment.assessors, assessment.identity, assessment.createdAt)
        return out
    }

    static func check(_ check: TargetCheck) -> Taizhang_Supervision_V1_TargetCheck {
        var out = Taizhang_Supervision_V1_TargetCheck()
        if let wanted = check.milestone { out.milestone = milestone(wanted) }
        (out.targetFen, out.doneFen, out.shortFen, out.met) = (check.targetFen, check.doneFen, check.shortFen, check.met)
        out.reachedOn = check.reachedOn?.description ?? ""
        return out
    }

    static func light(_ judgement: QuarterJudgement, recorded: Bool) -> Taizhang_Supervision_V1_QuarterLight {
        var out = Taizhang_Supervision_V1_QuarterLight()
        out.quarter = judgement.quarter.description
        out.light = enumValue(judgement.light)
        out.lightZh = judgement.light.chineseName
        out.checks = judgement.checks.map(check)
        out.yearChecks = judgement.yearChecks.map(check)
        out.since = judgement.since?.description ?? ""
        out.judgedOn = judgement.judgedOn.description
        out.recorded = recorded
        out.reasons = judgement.reasons.map(RiskMapping.reason)
        return out
    }

    static func rank(_ rank: UnitRank) -> Taizhang_Supervision_V1_UnitRank {
        var out = Taizhang_Supervision_V1_UnitRank()
        out.place = Int32(rank.place)
        (out.unitID, out.unitName, out.kind) = (rank.unit.id, rank.unit.name, enumValue(rank.unit.kind))
        out.light = light(rank.judgement, recorded: rank.unit.judgement(rank.judgement.quarter) != nil)
        out.targets = Int32(rank.judgement.checks.count)
        out.targetsMet = Int32(rank.judgement.metCount)
        (out.spendTargetFen, out.spentFen) = (rank.judgement.spendTargetFen, rank.judgement.spentFen)
        return out
    }
}
