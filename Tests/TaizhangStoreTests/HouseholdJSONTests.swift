// A household's stored JSON is written by hand (an import writes 10,000 in
// one commit): it must be the bytes JSONEncoder with sorted keys wrote
// before, and read back as the same household.

import Foundation
import Testing
@testable import TaizhangCore
@testable import TaizhangStore

struct HouseholdJSONTests {
    static func household(head: String, reason: String, members: [HouseholdMember], phoneSealed: String) -> Household {
        Household(id: "HH00000042", villageCode: "421024101201", headName: head, idNumberMasked: "4210**********1235",
                  idNumberSealed: String(repeating: "ab", count: 40), idDigest: String(repeating: "0f", count: 32),
                  phoneMasked: phoneSealed.isEmpty ? "" : "138****5678", phoneSealed: phoneSealed, members: members,
                  labourCapacity: .weak, category: .suddenHardship, registeredOn: CivilDate("2026-03-01")!,
                  changes: [HouseholdChange(date: CivilDate("2026-03-01")!, what: "登记：脱贫户，弱劳动能力", reason: reason),
                            HouseholdChange(date: CivilDate("2026-07-20")!, what: "类别：脱贫户 → 突发严重困难户", reason: "洪灾 / 房屋受损")],
                  version: 3, createdAt: "2026-03-01T02:00:00.000Z", updatedAt: "2026-07-20T02:00:00.000Z")
    }

    @Test func theHandWrittenJSON_isJSONEncodersBytes_andReadsBack() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for household in [
            Self.household(head: "张桂英", reason: "识别纳入", members: [HouseholdMember(name: "李德福", relation: "配偶")], phoneSealed: "cd"),
            Self.household(head: "王\"小\"明 \\ 😀", reason: "line one\nline two\ttab\r", members: [], phoneSealed: ""),
            Self.household(head: "Zhang/Li", reason: "", members: (0..<30).map { HouseholdMember(name: "成员\($0)", relation: "子女") }, phoneSealed: "ef"),
        ] {
            let text = household.jsonText
            #expect(text == String(decoding: try encoder.encode(household), as: UTF8.self))
            guard case .household(let back) = try StewardshipJSON.record(kind: .household, text: text) else {
                Issue.record("not a household")
                continue
            }
            #expect(back == household)
            #expect(StewardshipJSON.text(.household(household)) == text)
        }
    }
}
