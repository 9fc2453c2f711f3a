// An asset's stored bytes (schema 13): every field comes back as written,
// and bytes no writer could have made are refused naming the field.

import Testing
import TaizhangCore
import TaizhangProto
import TaizhangRecords

@Suite struct StoredAssetTests {
    static func date(_ text: String) -> CivilDate { CivilDate(text)! }

    /// An asset with every optional part set, and one with none.
    static var assets: [Asset] {
        let owners = [Owner(name: "甲村", kind: .villageCollective, adminCode: "421024101001", shareBasisPoints: 6_000),
                      Owner(name: "乙镇", kind: .townshipGovernment, adminCode: "421024101000", shareBasisPoints: 4_000)]
        let signOff = SignOff(state: .approved, draftedBy: "drafter", draftedById: "p-1", decidedBy: "approver", decidedById: "p-2", decidedOn: date("2024-03-02"), note: "ok")
        var life = Lifecycle(
            stage: .handedOver,
            ownership: OwnershipConfirmation(date: date("2024-01-05"), rule: "004 §11", proposed: owners, overrideReason: "协议",
                                             signOff: signOff, owners: owners,
                                             correction: OwnershipCorrection(owners: [owners[0]], signOff: SignOff(draftedBy: "other"))),
            publications: [
                Publication(kind: .ownership, round: 1, start: date("2024-01-08"), earliestClose: date("2024-01-15"), provisional: true,
                            restarted: date("2024-01-10"),
                            objections: [Objection(number: 1, filed: date("2024-01-09"), filer: "村民\"张\"", content: "line\nbreak",
                                                   outcome: .upheld, resolved: date("2024-01-10"), resolution: "改")]),
                Publication(kind: .handover, round: 2, start: date("2024-02-01"), earliestClose: date("2024-02-08"), provisional: false,
                            closed: date("2024-02-09"), objections: [Objection(number: 2, filed: date("2024-02-02"), filer: "李", content: "?")]),
            ],
            handoverDue: date("2024-03-20"), handoverDueProvisional: true,
            handover: Handover(date: date("2024-03-01"), fromParty: "县乡村振兴局", toParty: "甲村",
                               documents: [Document(name: "移交书", kind: "handover", sha256: String(repeating: "ab", count: 32))],
                               upkeepDuties: "管护", onTime: true),
            inServiceSince: date("2024-03-05"),
            valuations: [ValuationEvent(kind: .finalAccounts, date: date("2023-12-01"), valueFen: 1_000_000, basis: "决算"),
                         ValuationEvent(kind: .renovation, date: date("2025-06-01"), valueFen: 1_200_000, spendFen: 300_000,
                                        replacedFen: 100_000, basis: "发票")],
            objectionCount: 2)
        life.disposedOn = date("2026-01-02")
        life.disposalId = "CZ00000001"
        let full = Asset(
            id: "ZC00000042", code: "NO-1", name: "光伏电站", category: .operating, subType: "光伏", form: .intangible,
            projectId: "XM00000001", adminCode: "421024101001", acquiredDate: date("2023-11-30"), usefulLifeYears: 20,
            usageStatus: .idle, quantity: "2.5", unit: "千瓦", originalValueFen: 1_000_000,
            funding: [Funding(source: .centralSpecial, amountFen: 600_000), Funding(source: .integrated, amountFen: 400_000)],
            accumulatedDepreciationFen: 12_345, owners: owners, user: "合作社", beneficiary: "甲村",
            custody: Custody(custodian: "甲村委", responsiblePerson: "王", contact: "138", upkeepFunding: "村集体"),
            supervisingDepartment: "农业农村局",
            operation: Operation(mode: .lease, counterparty: "公司", annualFeeFen: 50_000, termStart: date("2024-01-01"), termEnd: nil),
            documents: [Document(name: "验收", kind: "acceptance", sha256: String(repeating: "0f", count: 32))],
            coordinates: Coordinates(latitude: 30.123456789, longitude: -114.5), note: "备注", encumbrance: "抵押",
            lifecycle: life, version: 7, createdAt: "2024-01-01T08:00:00+08:00", updatedAt: "2026-01-02T09:30:00.123+08:00")
        let bare = Asset(name: "路", category: .publicWelfare, projectId: "", adminCode: "421024101002", acquiredDate: date("2019-06-30"),
                         usefulLifeYears: 0, originalValueFen: 0, funding: [], owners: [],
                         coordinates: Coordinates(latitude: 0, longitude: 0))
        return [full, bare]
    }

    @Test func anAssetsEveryField_readsBackFromItsBytes() throws {
        for asset in Self.assets {
            let bytes = StoredAsset.bytes(asset)
            #expect(!bytes.isEmpty)
            #expect(try StoredAsset.asset(bytes) == asset)
            // The same record gives the same bytes: the ledger check compares them.
            #expect(StoredAsset.bytes(try StoredAsset.asset(bytes)) == bytes)
            // And the journal's JSON of it gives the same record.
            #expect(try StoredAsset.asset(StoredAsset.bytes(try Asset(recordJSON: asset.jsonText))) == asset)
        }
    }

    @Test func bytesNoWriterMakes_areRefusedNamingTheField() throws {
        var message = RecordMessage.asset(Self.assets[0])
        message.lifecycle.publications[1].start = "2024-02-30"
        #expect(throws: StoredAssetError.self) { try StoredAsset.asset(message) }
        do {
            _ = try StoredAsset.asset(message)
        } catch let error as StoredAssetError {
            #expect(error.field == "lifecycle.publications[1].start" && error.value == "2024-02-30")
        }
        var unknown = RecordMessage.asset(Self.assets[0])
        unknown.owners[1].kind = .init(rawValue: 99) ?? .unspecified
        do {
            _ = try StoredAsset.asset(unknown)
            Issue.record("an unknown owner kind was read")
        } catch let error as StoredAssetError {
            #expect(error.field == "owners[1].kind" && error.description.contains("99"), "\(error)")
        }
        // Bytes that are no message at all.
        #expect(throws: (any Error).self) { try StoredAsset.asset([0xFF, 0xFF, 0xFF]) }
    }
}
