// An asset as the ledger file keeps it: the bytes of its
// `taizhang.ledger.v1.Asset` message (schema 14; JSON before). Reading is
// strict: a field the writer could not have written (an unknown enum number,
// a date that is not one) is an error naming it, never a default.

import SwiftProtobuf
import TaizhangCore
import TaizhangProto

/// A stored asset message that does not read as an asset.
public struct StoredAssetError: Error, Sendable, CustomStringConvertible {
    /// The message's field, as a path ("lifecycle.publications[0].start").
    public let field: String
    public let value: String
    public var description: String { "\(field) holds \(value.isEmpty ? "nothing" : "\"\(value)\""), which no asset has" }
}

public enum StoredAsset {
    /// The stored bytes of an asset.
    public static func bytes(_ asset: Asset) -> [UInt8] {
        // Serializing a message built here cannot fail (no required fields,
        // no maps); an empty body would not read back and the writer's
        // read-back would name it.
        (try? RecordMessage.asset(asset).serializedBytes()) ?? []
    }

    /// The asset stored as `bytes`.
    public static func asset(_ bytes: [UInt8]) throws -> Asset {
        try asset(Taizhang_Ledger_V1_Asset(serializedBytes: bytes))
    }

    /// The asset a stored message describes.
    public static func asset(_ m: Taizhang_Ledger_V1_Asset) throws -> Asset {
        var reader = Reader()
        let operation: Operation? = m.hasOperation ? Operation(
            mode: try reader.value(m.operation.mode.rawValue, "operation.mode"),
            counterparty: m.operation.counterparty, annualFeeFen: m.operation.annualFeeFen,
            termStart: try reader.date(m.operation.termStart, "operation.term_start", optional: true),
            termEnd: try reader.date(m.operation.termEnd, "operation.term_end", optional: true)) : nil
        return Asset(
            id: m.id, code: m.code, name: m.name, category: try reader.value(m.category.rawValue, "category"),
            subType: m.subType, form: try reader.value(m.form.rawValue, "form"), projectId: m.projectID, adminCode: m.adminCode,
            acquiredDate: try reader.date(m.acquiredDate, "acquired_date"), usefulLifeYears: Int(m.usefulLifeYears),
            usageStatus: try reader.value(m.usageStatus.rawValue, "usage_status"), quantity: m.quantity, unit: m.unit,
            originalValueFen: m.originalValueFen, funding: try m.funding.enumerated().map { index, line in
                Funding(source: try reader.value(line.source.rawValue, "funding[\(index)].source"), amountFen: line.amountFen)
            },
            accumulatedDepreciationFen: m.accumulatedDepreciationFen,
            owners: try reader.owners(m.owners, "owners"), user: m.user, beneficiary: m.beneficiary,
            custody: Custody(custodian: m.custody.custodian, responsiblePerson: m.custody.responsiblePerson,
                             contact: m.custody.contact, upkeepFunding: m.custody.upkeepFunding),
            supervisingDepartment: m.supervisingDepartment, operation: operation,
            documents: m.documents.map(Reader.document),
            coordinates: m.hasCoordinates ? Coordinates(latitude: m.coordinates.latitude, longitude: m.coordinates.longitude) : nil,
            note: m.note, encumbrance: m.encumbrance, lifecycle: try reader.lifecycle(m.lifecycle), version: m.version,
            createdAt: m.createdAt, updatedAt: m.updatedAt)
    }

    /// Reads the parts of a stored message, naming the field that does not read.
    private struct Reader {
        func value<E: CaseIterable>(_ number: Int, _ field: String) throws -> E where E.AllCases.Index == Int {
            guard let value: E = ProtoEnum.value(number) else { throw StoredAssetError(field: field, value: String(number)) }
            return value
        }

        func date(_ text: String, _ field: String) throws -> CivilDate {
            guard let date = CivilDate(text) else { throw StoredAssetError(field: field, value: text) }
            return date
        }

        /// A date that may be unset (empty).
        func date(_ text: String, _ field: String, optional: Bool) throws -> CivilDate? {
            text.isEmpty ? nil : try date(text, field)
        }

        func owners(_ owners: [Taizhang_Ledger_V1_Owner], _ field: String) throws -> [Owner] {
            try owners.enumerated().map { index, owner in
                Owner(name: owner.name, kind: try value(owner.kind.rawValue, "\(field)[\(index)].kind"), adminCode: owner.adminCode,
                      shareBasisPoints: Int(owner.shareBp), householdId: owner.householdID)
            }
        }

        static func document(_ d: Taizhang_Ledger_V1_Document) -> Document {
            Document(name: d.name, kind: d.kind, sha256: d.sha256)
        }

        func signOff(_ s: Taizhang_Ledger_V1_SignOff, _ field: String) throws -> SignOff {
            let state: SignOff.State
            switch s.state {
            case .signOffPending: state = .pending
            case .signOffApproved: state = .approved
            case .signOffRejected: state = .rejected
            default: throw StoredAssetError(field: field + ".state", value: String(s.state.rawValue))
            }
            return SignOff(state: state, draftedBy: s.draftedBy, draftedById: s.draftedByID.isEmpty ? nil : s.draftedByID,
                           decidedBy: s.decidedBy, decidedById: s.decidedByID.isEmpty ? nil : s.decidedByID,
                           decidedOn: try date(s.decidedOn, field + ".decided_on", optional: true), note: s.note)
        }

        func lifecycle(_ l: Taizhang_Ledger_V1_Lifecycle) throws -> Lifecycle {
            var ownership: OwnershipConfirmation?
            if l.hasOwnership {
                let o = l.ownership
                ownership = OwnershipConfirmation(
                    date: try date(o.date, "lifecycle.ownership.date"), rule: o.rule,
                    proposed: try owners(o.proposed, "lifecycle.ownership.proposed"), overrideReason: o.overrideReason,
                    signOff: o.hasSignOff ? try signOff(o.signOff, "lifecycle.ownership.sign_off") : nil,
                    owners: try owners(o.owners, "lifecycle.ownership.owners"),
                    correction: o.hasCorrection ? OwnershipCorrection(
                        owners: try owners(o.correction.owners, "lifecycle.ownership.correction.owners"),
                        signOff: try signOff(o.correction.signOff, "lifecycle.ownership.correction.sign_off")) : nil)
            }
            let publications = try l.publications.enumerated().map { index, p in
                let field = "lifecycle.publications[\(index)]"
                return Publication(
                    kind: try value(p.kind.rawValue, field + ".kind"), round: Int(p.round),
                    start: try date(p.start, field + ".start"), earliestClose: try date(p.earliestClose, field + ".earliest_close"),
                    provisional: p.provisional, closed: try date(p.closed, field + ".closed", optional: true),
                    restarted: try date(p.restarted, field + ".restarted", optional: true),
                    objections: try p.objections.enumerated().map { number, o in
                        let field = field + ".objections[\(number)]"
                        return Objection(
                            number: Int(o.number), filed: try date(o.filed, field + ".filed"), filer: o.filer, content: o.content,
                            outcome: o.outcome == .unspecified ? nil : try value(o.outcome.rawValue, field + ".outcome"),
                            resolved: try date(o.resolved, field + ".resolved", optional: true), resolution: o.resolution)
                    })
            }
            let handover: Handover? = l.hasHandover ? Handover(
                date: try date(l.handover.date, "lifecycle.handover.date"), fromParty: l.handover.fromParty,
                toParty: l.handover.toParty, documents: l.handover.documents.map(Reader.document),
                upkeepDuties: l.handover.upkeepDuties, onTime: l.handover.onTime) : nil
            var life = Lifecycle(
                stage: try value(l.stage.rawValue, "lifecycle.stage"), ownership: ownership, publications: publications,
                handoverDue: try date(l.handoverDue, "lifecycle.handover_due", optional: true),
                handoverDueProvisional: l.handoverDueProvisional, handover: handover,
                inServiceSince: try date(l.inServiceSince, "lifecycle.in_service_since", optional: true),
                valuations: try l.valuations.enumerated().map { index, v in
                    ValuationEvent(kind: try value(v.kind.rawValue, "lifecycle.valuations[\(index)].kind"),
                                   date: try date(v.date, "lifecycle.valuations[\(index)].date"),
                                   valueFen: v.valueFen, spendFen: v.spendFen, replacedFen: v.replacedFen, basis: v.basis)
                },
                objectionCount: Int(l.objectionCount))
            life.disposedOn = try date(l.disposedOn, "lifecycle.disposed_on", optional: true)
            life.disposalId = l.disposalID
            return life
        }
    }
}
