// taizhang.ledger.v1.Ledger, continued (issue 23): the upkeep log 管护记录
// of every asset (RecordUpkeep, ListUpkeep), a year's upkeep cost per unit
// and per asset (SummarizeUpkeep), and the village's registration of a
// household asset's disposal (RegisterHouseholdDisposal, 004 §27).

import TaizhangCore
import TaizhangProto
import TaizhangRecords

extension LedgerService {
    static func upkeepMethods(store: any LedgerStore, context: LedgerContext) -> [MethodSpec] {
        let handlers = UpkeepHandlers(store: store, context: context)
        return [handlers.recordUpkeep, handlers.listUpkeep, handlers.summarizeUpkeep, handlers.registerHouseholdDisposal]
    }

    struct UpkeepHandlers: Sendable {
        let store: any LedgerStore
        let context: LedgerContext

        var recordUpkeep: MethodSpec {
            Method.mutation(RPC.Ledger.recordUpkeep, store: store, plan: { _, request in
                var bad: [FieldViolation] = []
                let proto = request.upkeep
                if proto.assetID.isEmpty { bad.append(.init(field: "upkeep.asset_id", description: "is required: the asset upkept (ZC…)")) }
                let kind: UpkeepKind? = EnumMapping.decode(proto.kind.rawValue, field: "upkeep.kind", what: "upkeep kind", into: &bad)
                let date = Decode.date(proto.date, field: "upkeep.date", required: false, into: &bad) ?? context.today
                for (index, document) in proto.documents.enumerated() {
                    StewardshipMapping.checkText(document.name, field: "upkeep.documents[\(index)].name", into: &bad)
                }
                StewardshipMapping.checkText(proto.performedBy, field: "upkeep.performed_by", into: &bad)
                StewardshipMapping.checkText(proto.description_p, field: "upkeep.description", into: &bad)
                let record = UpkeepRecord(assetId: proto.assetID, kind: kind ?? .inspection, date: date, costFen: proto.costFen,
                                          performedBy: proto.performedBy, description: proto.description_p,
                                          documents: proto.documents.map { Document(name: $0.name, kind: $0.kind, sha256: $0.sha256) })
                // The record's own rules here too, so that every bad field is listed at once.
                for violation in UpkeepRules.violations(record, today: context.today) where !bad.contains(violation) { bad.append(violation) }
                guard kind != nil, bad.isEmpty else { throw LedgerError.invalid(bad, what: "upkeep record") }
                return .stewardship(.recordUpkeep(record))
            }, respond: { outcome in
                guard case .stewardship(.upkeep(let record)) = outcome else { return Taizhang_Ledger_V1_Upkeep() }
                return UpkeepMapping.encode(record)
            })
        }

        var listUpkeep: MethodSpec {
            Method.fileRead(RPC.Ledger.listUpkeep) { _, request in
                let filter = try UpkeepMapping.filter(store, adminCode: request.adminCode, assetId: request.assetID, year: Int(request.year),
                                                      kind: request.kind)
                let page = try LedgerService.stewardshipPage(store, filter, size: request.pageSize, token: request.pageToken)
                var response = Taizhang_Ledger_V1_ListUpkeepResponse()
                response.records = page.records.compactMap { record in if case .upkeep(let upkeep) = record { UpkeepMapping.encode(upkeep) } else { nil } }
                response.nextPageToken = page.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(page.total)
                response.costFen = page.amountFen
                return try response.serializedBytes()
            }
        }

        var summarizeUpkeep: MethodSpec {
            Method.fileRead(RPC.Ledger.summarizeUpkeep) { _, request in
                let year = request.year == 0 ? context.today.year : Int(request.year)
                if !(2000...2100).contains(year) {
                    throw LedgerError.invalid([.init(field: "year", description: "\(request.year) is not a year of the ledger (2000…2100)")], what: "request")
                }
                _ = try UpkeepMapping.filter(store, adminCode: request.adminCode, assetId: "", year: year, kind: .unspecified)
                let costs = try store.upkeepCosts(adminCode: request.adminCode, year: year)
                return try UpkeepMapping.summary(costs, adminCode: request.adminCode, year: year) { store.adminUnit(code: $0)?.name ?? "" }.serializedBytes()
            }
        }

        var registerHouseholdDisposal: MethodSpec {
            Method.mutation(RPC.Ledger.registerHouseholdDisposal, store: store, plan: { _, request in
                var bad: [FieldViolation] = []
                if request.assetID.isEmpty { bad.append(.init(field: "asset_id", description: "is required: the household asset (ZC…)")) }
                let reason: DisposalReason? = EnumMapping.decode(request.reason.rawValue, field: "reason", what: "disposal reason", into: &bad)
                let method: DisposalMethod? = EnumMapping.decode(request.method.rawValue, field: "method", what: "disposal method", into: &bad)
                let date = Decode.date(request.date, field: "date", required: false, into: &bad) ?? context.today
                for (text, field) in [(request.reportedBy, "reported_by"), (request.registeredBy, "registered_by"), (request.circumstances, "circumstances")] {
                    StewardshipMapping.checkText(text, field: field, into: &bad)
                }
                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the asset's version you read")) }
                let record = DisposalRecord(reason: reason ?? .scrapping, method: method ?? .scrap, appraisal: nil, approvals: [], valuationPublishedOn: nil,
                                            proceedsFen: request.proceedsFen, date: date)
                let registration = HouseholdDisposalRegistration(reportedBy: request.reportedBy, registeredBy: request.registeredBy,
                                                                 circumstances: request.circumstances)
                // The registration's own rules here too, so that every bad field is listed at once.
                for violation in HouseholdDisposalRules.violations(record, registration, stockTakeId: request.stockTakeID, today: context.today)
                where !bad.contains(violation) { bad.append(violation) }
                guard reason != nil, method != nil, bad.isEmpty else { throw LedgerError.invalid(bad, what: "household disposal") }
                return .stewardship(.registerHouseholdDisposal(assetId: request.assetID, record: record, registration: registration,
                                                               stockTakeId: request.stockTakeID, policy: context.policy,
                                                               expectedVersion: request.expectedVersion))
            }, respond: { outcome in
                guard case .stewardship(.disposal(let entry)) = outcome else { return Taizhang_Ledger_V1_Disposal() }
                return StewardshipMapping.encode(entry)
            })
        }
    }
}

/// Upkeep records between the wire and the core.
enum UpkeepMapping {
    static func encode(_ record: UpkeepRecord) -> Taizhang_Ledger_V1_Upkeep {
        var out = Taizhang_Ledger_V1_Upkeep()
        (out.id, out.assetID, out.date, out.costFen) = (record.id, record.assetId, record.date.description, record.costFen)
        out.kind = .init(rawValue: EnumMapping.encode(record.kind)) ?? .unspecified
        (out.performedBy, out.description_p) = (record.performedBy, record.description)
        out.documents = record.documents.map(RecordMessage.document)
        (out.adminCode, out.householdID, out.version, out.createdAt) = (record.adminCode, record.householdId, record.version, record.createdAt)
        return out
    }

    /// The upkeep records of a unit's subtree, an asset, a year, a kind; a unit that does not exist is a violation.
    static func filter(_ store: any LedgerStore, adminCode: String, assetId: String, year: Int, kind: Taizhang_Ledger_V1_UpkeepKind) throws -> StewardshipFilter {
        var bad: [FieldViolation] = []
        if !adminCode.isEmpty, store.adminUnit(code: adminCode) == nil { bad.append(.init(field: "admin_code", description: "no admin unit \(adminCode) exists")) }
        if year < 0 { bad.append(.init(field: "year", description: "must not be negative (0: any)")) }
        var states: [String]?
        if kind != .unspecified {
            let decoded: UpkeepKind? = EnumMapping.decode(kind.rawValue, field: "kind", what: "upkeep kind", into: &bad)
            states = decoded.map { [$0.rawValue] }
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
        return StewardshipFilter(.upkeep, adminCode: adminCode, assetId: assetId, year: year, states: states)
    }

    /// A year's cost per unit (by code) and per asset (by id, the first `summaryAssetsMax`).
    static func summary(_ costs: UpkeepCosts, adminCode: String, year: Int, unitName: (String) -> String) -> Taizhang_Ledger_V1_UpkeepSummary {
        var out = Taizhang_Ledger_V1_UpkeepSummary()
        (out.adminCode, out.year, out.records, out.costFen) = (adminCode, Int32(year), UInt32(clamping: costs.records), costs.costFen)
        out.units = costs.units.sorted { $0.key < $1.key }.map { code, tally in
            var unit = Taizhang_Ledger_V1_UpkeepUnitCost()
            (unit.adminCode, unit.name, unit.records, unit.assets, unit.costFen) = (code, unitName(code), UInt32(clamping: tally.records),
                                                                                    UInt32(clamping: tally.assets), tally.costFen)
            return unit
        }
        out.assets = costs.assets.prefix(UpkeepLimits.summaryAssetsMax).map { entry in
            var asset = Taizhang_Ledger_V1_UpkeepAssetCost()
            (asset.assetID, asset.adminCode, asset.records, asset.costFen) = (entry.assetId, entry.adminCode, UInt32(clamping: entry.tally.records), entry.tally.costFen)
            asset.lastDate = entry.tally.lastDate?.description ?? ""
            return asset
        }
        out.assetsTruncated = costs.assets.count > UpkeepLimits.summaryAssetsMax
        return out
    }
}
