// Converts between the wire's messages and the domain's records. Decoding
// collects a violation for every field it cannot read (unknown enums, bad
// dates) so a caller learns about all of them at once.

import SwiftProtobuf
import TaizhangCore
import TaizhangProto
import TaizhangRecords

/// Core enums list their cases in the order of the proto enum's numbers 1...n.
enum EnumMapping {
    static func decode<E: CaseIterable>(_ raw: Int, field: String, what: String, into bad: inout [FieldViolation]) -> E? where E.AllCases.Index == Int {
        if let value: E = ProtoEnum.value(raw) { return value }
        let names = E.allCases.map { "\($0)" }.joined(separator: ", ")
        bad.append(.init(field: field, description: raw == 0
            ? "is required: choose the \(what) (\(names))"
            : "\(raw) is not a known \(what); use one of \(names)"))
        return nil
    }

    static func encode<E: CaseIterable & Equatable>(_ value: E) -> Int where E.AllCases.Index == Int {
        ProtoEnum.number(value)
    }
}

/// proto → core.
enum Decode {
    /// An approval's decision; a violation on `decision` when unset or unknown.
    static func decision(_ value: Taizhang_Ledger_V1_Decision, into bad: inout [FieldViolation]) -> SignOffDecision? {
        switch value {
        case .approve: return .approve
        case .reject: return .reject
        default:
            bad.append(.init(field: "decision", description: "is required: DECISION_APPROVE or DECISION_REJECT"))
            return nil
        }
    }

    /// Who the caller is for a sign-off: in local mode, one user who may decide its own drafts.
    static func signer(_ call: CallContext) -> SignOffDecider {
        SignOffDecider(name: call.principal?.name ?? "local", id: call.principal?.id ?? "", separated: !(call.principal?.isLocal ?? true))
    }

    static func date(_ text: String, field: String, required: Bool, into bad: inout [FieldViolation]) -> CivilDate? {
        if text.isEmpty {
            if required { bad.append(.init(field: field, description: "is required: a date as YYYY-MM-DD")) }
            return nil
        }
        guard let date = CivilDate(text) else {
            bad.append(.init(field: field, description: "\"\(text)\" is not a date; write YYYY-MM-DD, e.g. 2019-06-30"))
            return nil
        }
        return date
    }

    static func funding(_ lines: [Taizhang_Ledger_V1_Funding], field: String, into bad: inout [FieldViolation]) -> [Funding] {
        var result: [Funding] = []
        for (index, line) in lines.enumerated() {
            let source: FundingSource? = EnumMapping.decode(line.source.rawValue, field: "\(field)[\(index)].source", what: "funding source", into: &bad)
            result.append(Funding(source: source ?? .other, amountFen: line.amountFen))
        }
        return result
    }

    static func adminUnit(_ unit: Taizhang_Ledger_V1_AdminUnit, into bad: inout [FieldViolation]) -> AdminUnit {
        let level: AdminLevel? = EnumMapping.decode(unit.level.rawValue, field: "unit.level", what: "admin level", into: &bad)
        return AdminUnit(code: unit.code, name: unit.name, level: level ?? .village, parentCode: unit.parentCode)
    }

    static func project(_ project: Taizhang_Ledger_V1_Project, into bad: inout [FieldViolation]) -> Project {
        Project(id: project.id, name: project.name, year: Int(project.year), implementingUnit: project.implementingUnit,
                adminCode: project.adminCode, funding: funding(project.funding, field: "project.funding", into: &bad))
    }

    /// The asset, and violations (under `prefix`) for the fields that cannot be read.
    static func asset(_ asset: Taizhang_Ledger_V1_Asset, prefix: String, into bad: inout [FieldViolation]) -> Asset {
        var local: [FieldViolation] = []
        let category: AssetCategory? = EnumMapping.decode(asset.category.rawValue, field: "category", what: "asset category", into: &local)
        let form: AssetForm? = asset.form == .unspecified ? .fixed
            : EnumMapping.decode(asset.form.rawValue, field: "form", what: "asset form", into: &local)
        let status: UsageStatus? = asset.usageStatus == .unspecified ? .inUse
            : EnumMapping.decode(asset.usageStatus.rawValue, field: "usage_status", what: "usage status", into: &local)
        let acquired = date(asset.acquiredDate, field: "acquired_date", required: true, into: &local)
        let owners = Decode.owners(asset.owners, field: "owners", into: &local)
        var operation: Operation?
        if asset.hasOperation {
            let op = asset.operation
            let mode: OperationMode? = EnumMapping.decode(op.mode.rawValue, field: "operation.mode", what: "operation mode", into: &local)
            operation = Operation(mode: mode ?? .selfOperated, counterparty: op.counterparty, annualFeeFen: op.annualFeeFen,
                                  termStart: date(op.termStart, field: "operation.term_start", required: false, into: &local),
                                  termEnd: date(op.termEnd, field: "operation.term_end", required: false, into: &local))
        }
        let custody = Custody(custodian: asset.custody.custodian, responsiblePerson: asset.custody.responsiblePerson,
                              contact: asset.custody.contact, upkeepFunding: asset.custody.upkeepFunding)
        let quantity = asset.quantity.isEmpty ? "1" : asset.quantity
        let result = Asset(
            id: asset.id, code: asset.code, name: asset.name, category: category ?? .publicWelfare, subType: asset.subType,
            form: form ?? .fixed, projectId: asset.projectID, adminCode: asset.adminCode,
            acquiredDate: acquired ?? CivilDate(year: 1900, month: 1, day: 1)!,
            usefulLifeYears: Int(clamping: asset.usefulLifeYears), usageStatus: status ?? .inUse, quantity: quantity,
            unit: asset.unit, originalValueFen: asset.originalValueFen,
            funding: funding(asset.funding, field: "funding", into: &local),
            // Output only: depreciation is computed by the county's policy.
            accumulatedDepreciationFen: 0, owners: owners, user: asset.user,
            beneficiary: asset.beneficiary, custody: custody, supervisingDepartment: asset.supervisingDepartment,
            operation: operation,
            documents: asset.documents.map { Document(name: $0.name, kind: $0.kind, sha256: $0.sha256) },
            coordinates: asset.hasCoordinates
                ? Coordinates(latitude: asset.coordinates.latitude, longitude: asset.coordinates.longitude) : nil,
            note: asset.note, encumbrance: asset.encumbrance)
        var decoded = result
        if asset.valueBasis != .unspecified {
            let kind: ValuationKind? = EnumMapping.decode(asset.valueBasis.rawValue, field: "value_basis", what: "valuation kind", into: &local)
            if let kind {
                if kind == .renovation {
                    local.append(.init(field: "value_basis", description: "a renovation changes a registered value (RecordValuation); register with purchase, final_accounts, provisional, appraisal or replacement_cost"))
                }
                decoded.lifecycle.valuations = [LifecycleRules.initialValuation(of: result, kind: kind)]
            }
        }
        bad += local.map { $0.prefixed(prefix) }
        return decoded
    }
}

/// core → proto.
enum Encode {
    static func adminUnit(_ unit: AdminUnit) -> Taizhang_Ledger_V1_AdminUnit {
        var out = Taizhang_Ledger_V1_AdminUnit()
        out.code = unit.code
        out.name = unit.name
        out.level = .init(rawValue: EnumMapping.encode(unit.level)) ?? .unspecified
        out.parentCode = unit.parentCode
        out.version = unit.version
        return out
    }

    static func project(_ project: Project) -> Taizhang_Ledger_V1_Project {
        var out = Taizhang_Ledger_V1_Project()
        out.id = project.id
        out.name = project.name
        out.year = Int32(clamping: project.year)
        out.implementingUnit = project.implementingUnit
        out.adminCode = project.adminCode
        out.funding = RecordMessage.funding(project.funding)
        out.version = project.version
        return out
    }

    /// The asset with its depreciation as of `asOf` under the context's policy.
    static func asset(_ asset: Asset, context: LedgerContext, asOf: CivilDate? = nil) -> Taizhang_Ledger_V1_Asset {
        var out = RecordMessage.asset(asset)
        let (accumulated, net) = Depreciation.asOf(asOf ?? context.today, asset: asset, policy: context.policy)
        out.accumulatedDepreciationFen = accumulated
        out.netValueFen = net
        return out
    }

    static func auditEntry(_ entry: AuditEntry) -> Taizhang_Ledger_V1_AuditEntry {
        var out = Taizhang_Ledger_V1_AuditEntry()
        out.seq = entry.seq
        out.time = entry.time
        out.identity = entry.identity
        out.actor = entry.actor
        out.method = entry.method
        out.requestID = entry.requestId
        out.requestSha256 = entry.requestSHA256
        out.recordKind = entry.recordKind
        out.recordID = entry.recordId
        out.beforeJson = entry.beforeJSON
        out.afterJson = entry.afterJSON
        out.prevHash = entry.prevHash
        out.hash = entry.hash
        out.idempotencyKey = entry.idempotencyKey
        return out
    }
}
