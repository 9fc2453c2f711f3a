// The core enums and the proto enums line up case for case, and a record
// survives core → proto → core unchanged.

import Testing
import TaizhangCore
import TaizhangProto
import TaizhangRecords
@testable import TaizhangServer

struct ProtoMappingTests {
    static func normalized(_ text: String) -> String {
        text.lowercased().replacingOccurrences(of: "_", with: "")
    }

    /// Each core case must map to the proto case of the same name (proto
    /// names may carry a disambiguating suffix such as OTHER_FUNDING).
    @Test func enums_mapToTheProtoCaseOfTheSameName() {
        var mismatches: [String] = []
        func check<C: CaseIterable & Equatable & RawRepresentable>(_ core: C.Type, _ proto: (Int) -> String?) where C.AllCases.Index == Int, C.RawValue == String {
            for value in C.allCases {
                let name = proto(EnumMapping.encode(value)) ?? "nil"
                if !Self.normalized(name).hasPrefix(Self.normalized(value.rawValue)) {
                    mismatches.append("\(value) ↦ \(name)")
                }
            }
        }
        check(AssetCategory.self) { Taizhang_Ledger_V1_AssetCategory(rawValue: $0).map { "\($0)" } }
        check(AssetForm.self) { Taizhang_Ledger_V1_AssetForm(rawValue: $0).map { "\($0)" } }
        check(UsageStatus.self) { Taizhang_Ledger_V1_UsageStatus(rawValue: $0).map { "\($0)" } }
        check(FundingSource.self) { Taizhang_Ledger_V1_FundingSource(rawValue: $0).map { "\($0)" } }
        check(OwnerKind.self) { Taizhang_Ledger_V1_OwnerKind(rawValue: $0).map { "\($0)" } }
        check(OperationMode.self) { Taizhang_Ledger_V1_OperationMode(rawValue: $0).map { "\($0)" } }
        check(AdminLevel.self) { Taizhang_Ledger_V1_AdminLevel(rawValue: $0).map { "\($0)" } }
        #expect(mismatches == [])
    }

    @Test func asset_roundTripsThroughProto() {
        let asset = Asset(id: "ZC00000007", code: "JL-7", name: "新河村扶贫车间", category: .operating, subType: "扶贫车间",
                          form: .fixed, projectId: "P", adminCode: "421024102201", acquiredDate: CivilDate("2020-05-01")!,
                          usefulLifeYears: 30, usageStatus: .idle, quantity: "2.5", unit: "座", originalValueFen: 300,
                          funding: [Funding(source: .socialDonation, amountFen: 100), Funding(source: .other, amountFen: 200)],
                          owners: [Owner(name: "甲", kind: .cooperative, adminCode: "", shareBasisPoints: 10_000)],
                          user: "乙", beneficiary: "丙", custody: Custody(custodian: "丁", responsiblePerson: "戊", contact: "1", upkeepFunding: "收益"),
                          supervisingDepartment: "县农业农村局",
                          operation: Operation(mode: .equity, counterparty: "公司", annualFeeFen: 5, termStart: CivilDate("2020-01-01"), termEnd: nil),
                          documents: [Document(name: "合同", kind: "contract", sha256: String(repeating: "a", count: 64))],
                          coordinates: Coordinates(latitude: 30.03, longitude: 112.4), note: "备注")
        var bad: [FieldViolation] = []
        let back = Decode.asset(RecordMessage.asset(asset), prefix: "asset", into: &bad)
        #expect(bad.isEmpty)
        var expected = asset
        expected.version = 0
        // The value basis travels (FINAL_ACCOUNTS when none was recorded) as the first valuation.
        expected.lifecycle.valuations = [ValuationEvent(kind: .finalAccounts, date: asset.acquiredDate, valueFen: 300)]
        #expect(back == expected)
    }
}
