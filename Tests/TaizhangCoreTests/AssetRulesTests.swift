// The asset ledger's validation rules (000 §七, 001 (四), 004 §12, §18).

import Testing
@testable import TaizhangCore

struct AssetRulesTests {
    static func asset(value: Int64 = 100_000, funding: [Int64] = [60_000, 40_000], shares: [Int] = [10_000]) -> Asset {
        let sources: [FundingSource] = [.centralSpecial, .integrated, .localFiscal, .industry]
        return Asset(name: "白马村光伏电站", category: .operating, projectId: "P1", adminCode: "421024101201",
                     acquiredDate: CivilDate("2019-06-30")!, usefulLifeYears: 25, originalValueFen: value,
                     funding: funding.enumerated().map { Funding(source: sources[$0.offset], amountFen: $0.element) },
                     owners: shares.enumerated().map { Owner(name: "村集体\($0.offset)", kind: .villageCollective, adminCode: "", shareBasisPoints: $0.element) })
    }

    @Test func validAsset_hasNoViolations() {
        #expect(AssetRules.validate(Self.asset()) == [])
    }

    @Test(arguments: [
        ([10_000], true), ([6_000, 4_000], true), ([3_334, 3_333, 3_333], true),
        ([5_000], false), ([6_000, 4_001], false), ([9_999], false),
    ])
    func owners_sharesMustSumToExactly10000(shares: [Int], valid: Bool) {
        let bad = AssetRules.validate(Self.asset(shares: shares))
        #expect(bad.contains { $0.field == "owners" } == !valid)
    }

    @Test func owners_zeroOrNegativeShareIsNamed() {
        let bad = AssetRules.validate(Self.asset(shares: [10_000, 0]))
        #expect(bad.map(\.field) == ["owners[1].share_bp"])
    }

    @Test(arguments: [
        (Int64(100_000), [Int64(60_000), 40_000], true),
        (Int64(100_000), [Int64(60_000), 40_001], false),
        (Int64(100_000), [Int64(100_000)], true),
        (Int64(0), [Int64(0)], true),
    ])
    func funding_mustAddUpToOriginalValue(value: Int64, funding: [Int64], valid: Bool) {
        let bad = AssetRules.validate(Self.asset(value: value, funding: funding))
        #expect(bad.contains { $0.field == "funding" } == !valid)
    }

    @Test func negativeAmounts_areEachReported() {
        var asset = Self.asset(value: -5, funding: [-5])
        asset.accumulatedDepreciationFen = -1
        let fields = Set(AssetRules.validate(asset).map(\.field))
        #expect(fields == ["original_value_fen", "funding[0].amount_fen", "accumulated_depreciation_fen"])
    }

    @Test func everyBadField_isReportedAtOnce() {
        var asset = Self.asset(shares: [5_000])
        asset.name = " "
        asset.adminCode = "42102"
        asset.projectId = ""
        asset.quantity = "1.2345"
        asset.documents = [Document(name: "验收报告", kind: "acceptance", sha256: "XYZ")]
        let fields = Set(AssetRules.validate(asset).map(\.field))
        #expect(fields == ["name", "admin_code", "project_id", "quantity", "owners", "documents[0].sha256"])
    }

    @Test func duplicateFundingSource_isRejected() {
        var asset = Self.asset(funding: [50_000, 50_000])
        asset.funding[1].source = asset.funding[0].source
        #expect(AssetRules.validate(asset).map(\.field) == ["funding[1].source"])
    }

    @Test func depreciation_cannotExceedOriginalValue() {
        var asset = Self.asset()
        asset.accumulatedDepreciationFen = 100_001
        #expect(AssetRules.validate(asset).map(\.field) == ["accumulated_depreciation_fen"])
    }

    @Test(arguments: [("1", true), ("2.5", true), ("0.125", true), ("0", false), ("0.000", false), ("-1", false), ("1.", false), (".5", false), ("1e3", false), ("1.2345", false)])
    func quantity_isAPositiveDecimalWithThreePlaces(text: String, valid: Bool) {
        #expect((QuantityRules.problem(text) == nil) == valid)
    }

    @Test func references_missingAdminUnitAndProjectAreNamed() {
        let bad = AssetRules.validateReferences(Self.asset(), adminUnit: nil, project: nil)
        #expect(bad.map(\.field) == ["admin_code", "project_id"])
    }

    @Test func operation_termEndBeforeStartIsRejected() {
        var asset = Self.asset()
        asset.operation = Operation(mode: .lease, counterparty: "合作社", annualFeeFen: 1_000,
                                    termStart: CivilDate("2020-01-01"), termEnd: CivilDate("2019-12-31"))
        #expect(AssetRules.validate(asset).map(\.field) == ["operation.term_end"])
    }
}

struct AdminUnitRulesTests {
    @Test func village_mustSitUnderATownship() {
        let county = AdminUnit(code: "421024000000", name: "江陵县", level: .county, parentCode: "")
        let village = AdminUnit(code: "421024101201", name: "白马村", level: .village, parentCode: "421024000000")
        #expect(AdminUnitRules.validateParent(village, parent: county).map(\.field) == ["level"])
        #expect(AdminUnitRules.validateParent(village, parent: nil).map(\.field) == ["parent_code"])
    }

    @Test(arguments: [("421024000000", true), ("42102400000", false), ("42102400000a", false), ("", false)])
    func divisionCode_isTwelveDigits(code: String, valid: Bool) {
        #expect(AdminUnitRules.isDivisionCode(code) == valid)
    }
}

struct RecordJSONTests {
    @Test func assetJSON_decodesBackToTheSameAsset() throws {
        var asset = AssetRulesTests.asset()
        asset.note = "引号\"反斜杠\\换行\n制表\t控制\u{01}"
        asset.operation = Operation(mode: .entrusted, counterparty: "公司", annualFeeFen: 7, termStart: CivilDate("2020-01-01"), termEnd: nil)
        asset.coordinates = Coordinates(latitude: 30.0345, longitude: -112.5)
        asset.documents = [Document(name: "合同", kind: "contract", sha256: String(repeating: "b", count: 64))]
        let decoded = try JSONDecoder().decode(Asset.self, from: Data(asset.jsonText.utf8))
        #expect(decoded == asset)
        #expect(try Asset(recordJSON: asset.jsonText) == asset)
        #expect(asset.jsonText == asset.jsonText)
    }

    @Test func projectAndUnitJSON_decodeBack() throws {
        let project = Project(id: "P", name: "项目", year: 2019, implementingUnit: "局", adminCode: "421024000000",
                              funding: [Funding(source: .relocation, amountFen: 5)], version: 3)
        #expect(try JSONDecoder().decode(Project.self, from: Data(project.jsonText.utf8)) == project)
        #expect(try Project(recordJSON: project.jsonText) == project)
        let unit = AdminUnit(code: "421024000000", name: "江陵县", level: .county, parentCode: "", version: 1)
        #expect(try JSONDecoder().decode(AdminUnit.self, from: Data(unit.jsonText.utf8)) == unit)
        #expect(try AdminUnit(recordJSON: unit.jsonText) == unit)
    }
}

import Foundation

struct TextLimitTests {
    @Test func combiningMarks_cannotSmuggleLongTextPastTheLimit() {
        let text = "a" + String(repeating: "\u{0301}", count: 1000)
        #expect(text.count == 1)
        #expect(TextRules.optional(text, field: "note").map(\.field) == ["note"])
    }

    @Test func fiveHundredChineseCharacters_fit() {
        #expect(TextRules.optional(String(repeating: "扶", count: 500), field: "note").isEmpty)
        #expect(TextRules.optional(String(repeating: "扶", count: 501), field: "note").map(\.field) == ["note"])
    }

    @Test func truncation_keepsWholeScalars() {
        #expect("台账系统".truncatedUTF8(maxBytes: 7) == "台账")
        #expect("abc".truncatedUTF8(maxBytes: 10) == "abc")
    }
}

struct JSONParserTests {
    @Test func parsesEscapesSurrogatesAndWhitespace() throws {
        let value = try JSONParser.parse(#" { "a" : [1, -2.5e3, true, false, null], "s": "\u53f0\u8d26 \ud83d\ude00 \"q\" \\ \n" } "#)
        #expect(value["s"] == .string("台账 😀 \"q\" \\ \n"))
        #expect(value["a"] == .array([.number(1, text: "1"), .number(-2500, text: "-2.5e3"), .bool(true), .bool(false), .null]))
    }

    @Test(arguments: ["", "{", "{\"a\" 1}", "[1,]x", "\"unterminated", "{\"a\":1} trailing", "nul", #""\ud800\u0041""#])
    func rejectsMalformedJSON(text: String) {
        #expect(throws: RecordJSONError.self) { try JSONParser.parse(text) }
    }

    @Test func missingMember_isAnError() {
        #expect(throws: RecordJSONError.self) { try AdminUnit(recordJSON: #"{"code":"421024000000","name":"x","level":"county","parentCode":""}"#) }
    }
}
