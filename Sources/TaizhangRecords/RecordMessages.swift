// The domain's records as the wire's messages and back. The answers of the
// API are built here (`RecordMessage.asset`), and the ledger file keeps an
// asset as the same message's bytes (`StoredAsset`), so one mapping serves
// both and a stored record reads back exactly as it was written.

import SwiftProtobuf
import TaizhangCore
import TaizhangProto

/// Core enums list their cases in the order of the proto enum's numbers 1...n.
public enum ProtoEnum {
    /// The proto number of a core case.
    public static func number<E: CaseIterable & Equatable>(_ value: E) -> Int where E.AllCases.Index == Int {
        (E.allCases.firstIndex(of: value) ?? -1) + 1
    }

    /// The core case of a proto number; nil for 0 (unspecified) and unknown numbers.
    public static func value<E: CaseIterable>(_ number: Int) -> E? where E.AllCases.Index == Int {
        let cases = E.allCases
        guard number >= 1, number <= cases.count else { return nil }
        return cases[number - 1 + cases.startIndex]
    }
}

/// core → proto.
public enum RecordMessage {
    public static func funding(_ lines: [Funding]) -> [Taizhang_Ledger_V1_Funding] {
        lines.map { line in
            var out = Taizhang_Ledger_V1_Funding()
            out.source = .init(rawValue: ProtoEnum.number(line.source)) ?? .unspecified
            out.amountFen = line.amountFen
            return out
        }
    }

    public static func signOff(_ signOff: SignOff) -> Taizhang_Ledger_V1_SignOff {
        var out = Taizhang_Ledger_V1_SignOff()
        switch signOff.state {
        case .pending: out.state = .signOffPending
        case .approved: out.state = .signOffApproved
        case .rejected: out.state = .signOffRejected
        }
        out.draftedBy = signOff.draftedBy
        out.draftedByID = signOff.draftedById ?? ""
        out.decidedBy = signOff.decidedBy
        out.decidedByID = signOff.decidedById ?? ""
        out.decidedOn = signOff.decidedOn?.description ?? ""
        out.note = signOff.note
        return out
    }

    public static func owner(_ owner: Owner) -> Taizhang_Ledger_V1_Owner {
        var o = Taizhang_Ledger_V1_Owner()
        o.name = owner.name
        o.kind = .init(rawValue: ProtoEnum.number(owner.kind)) ?? .unspecified
        o.adminCode = owner.adminCode
        o.shareBp = UInt32(clamping: owner.shareBasisPoints)
        o.householdID = owner.householdId
        return o
    }

    public static func document(_ document: Document) -> Taizhang_Ledger_V1_Document {
        var d = Taizhang_Ledger_V1_Document()
        d.name = document.name
        d.kind = document.kind
        d.sha256 = document.sha256
        return d
    }

    public static func lifecycle(_ life: Lifecycle) -> Taizhang_Ledger_V1_Lifecycle {
        var out = Taizhang_Ledger_V1_Lifecycle()
        out.stage = .init(rawValue: ProtoEnum.number(life.stage)) ?? .unspecified
        if let ownership = life.ownership {
            out.ownership.date = ownership.date.description
            out.ownership.rule = ownership.rule
            out.ownership.proposed = ownership.proposed.map(owner)
            out.ownership.overrideReason = ownership.overrideReason
            if let signOff = ownership.signOff { out.ownership.signOff = RecordMessage.signOff(signOff) }
            out.ownership.owners = ownership.owners.map(owner)
            if let correction = ownership.correction {
                out.ownership.correction.owners = correction.owners.map(owner)
                out.ownership.correction.signOff = RecordMessage.signOff(correction.signOff)
            }
        }
        out.publications = life.publications.map { notice in
            var p = Taizhang_Ledger_V1_Publication()
            p.kind = .init(rawValue: ProtoEnum.number(notice.kind)) ?? .unspecified
            p.round = UInt32(clamping: notice.round)
            p.start = notice.start.description
            p.earliestClose = notice.earliestClose.description
            p.provisional = notice.provisional
            p.closed = notice.closed?.description ?? ""
            p.restarted = notice.restarted?.description ?? ""
            p.objections = notice.objections.map { objection in
                var o = Taizhang_Ledger_V1_Objection()
                o.number = UInt32(clamping: objection.number)
                o.filed = objection.filed.description
                o.filer = objection.filer
                o.content = objection.content
                o.outcome = objection.outcome.map { .init(rawValue: ProtoEnum.number($0)) ?? .unspecified } ?? .unspecified
                o.resolved = objection.resolved?.description ?? ""
                o.resolution = objection.resolution
                return o
            }
            return p
        }
        out.handoverDue = life.handoverDue?.description ?? ""
        out.handoverDueProvisional = life.handoverDueProvisional
        if let handover = life.handover {
            out.handover.date = handover.date.description
            out.handover.fromParty = handover.fromParty
            out.handover.toParty = handover.toParty
            out.handover.documents = handover.documents.map(document)
            out.handover.upkeepDuties = handover.upkeepDuties
            out.handover.onTime = handover.onTime
        }
        out.inServiceSince = life.inServiceSince?.description ?? ""
        out.disposedOn = life.disposedOn?.description ?? ""
        out.disposalID = life.disposalId
        out.valuations = life.valuations.map { event in
            var v = Taizhang_Ledger_V1_ValuationEvent()
            v.kind = .init(rawValue: ProtoEnum.number(event.kind)) ?? .unspecified
            v.date = event.date.description
            v.valueFen = event.valueFen
            v.spendFen = event.spendFen
            v.replacedFen = event.replacedFen
            v.basis = event.basis
            return v
        }
        out.objectionCount = UInt32(clamping: life.objectionCount)
        return out
    }

    /// The asset as its message; depreciation as the record holds it (the
    /// API's answers set it as of a date).
    public static func asset(_ asset: Asset) -> Taizhang_Ledger_V1_Asset {
        var out = Taizhang_Ledger_V1_Asset()
        out.id = asset.id
        out.code = asset.code
        out.name = asset.name
        out.category = .init(rawValue: ProtoEnum.number(asset.category)) ?? .unspecified
        out.subType = asset.subType
        out.form = .init(rawValue: ProtoEnum.number(asset.form)) ?? .unspecified
        out.projectID = asset.projectId
        out.adminCode = asset.adminCode
        out.acquiredDate = asset.acquiredDate.description
        out.usefulLifeYears = UInt32(clamping: asset.usefulLifeYears)
        out.usageStatus = .init(rawValue: ProtoEnum.number(asset.usageStatus)) ?? .unspecified
        out.quantity = asset.quantity
        out.unit = asset.unit
        out.originalValueFen = asset.originalValueFen
        out.funding = funding(asset.funding)
        out.accumulatedDepreciationFen = asset.accumulatedDepreciationFen
        out.netValueFen = asset.netValueFen
        out.owners = asset.owners.map(owner)
        out.user = asset.user
        out.beneficiary = asset.beneficiary
        if asset.custody != Custody() {
            out.custody.custodian = asset.custody.custodian
            out.custody.responsiblePerson = asset.custody.responsiblePerson
            out.custody.contact = asset.custody.contact
            out.custody.upkeepFunding = asset.custody.upkeepFunding
        }
        out.supervisingDepartment = asset.supervisingDepartment
        if let operation = asset.operation {
            out.operation.mode = .init(rawValue: ProtoEnum.number(operation.mode)) ?? .unspecified
            out.operation.counterparty = operation.counterparty
            out.operation.annualFeeFen = operation.annualFeeFen
            out.operation.termStart = operation.termStart?.description ?? ""
            out.operation.termEnd = operation.termEnd?.description ?? ""
        }
        out.documents = asset.documents.map(document)
        if let point = asset.coordinates {
            out.coordinates.latitude = point.latitude
            out.coordinates.longitude = point.longitude
        }
        out.note = asset.note
        out.encumbrance = asset.encumbrance
        out.version = asset.version
        out.createdAt = asset.createdAt
        out.updatedAt = asset.updatedAt
        out.lifecycle = lifecycle(asset.lifecycle)
        out.valueBasis = .init(rawValue: ProtoEnum.number(asset.lifecycle.valueBasis)) ?? .unspecified
        return out
    }
}
