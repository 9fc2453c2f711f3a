// The CSV ledger format and the notice page.

import Foundation
import Testing
import TaizhangProto
@testable import TaizhangSheets

struct CSVTests {
    @Test func parse_handlesQuotesLineBreaksCRLFAndBOM() throws {
        let text = "\u{FEFF}a,b,c\r\n\"1,5\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\r\nx,,z\n"
        let records = try CSV.parse(Array(text.utf8))
        #expect(records.map(\.fields) == [["a", "b", "c"], ["1,5", "say \"hi\"", "two\nlines"], ["x", "", "z"]])
        // Each record knows the line it starts on, across the embedded line break and the blank line.
        #expect(records.map(\.line) == [1, 2, 5])
    }

    @Test func parse_refusesWhatASpreadsheetWouldNotWrite() {
        #expect(throws: CSVError.self) { try CSV.parse(Array("a,\"open\n".utf8)) }
        #expect(throws: CSVError.self) { try CSV.parse(Array("\"a\"b,c\n".utf8)) }
        // GBK bytes for 资产 are not UTF-8.
        #expect(throws: CSVError.self) { try CSV.parse([0xD7, 0xCA, 0xB2, 0xFA, 0x0A]) }
    }

    /// A file is read in blocks: a record, a quote pair, a CRLF or a
    /// Chinese character split across blocks reads as in one piece.
    @Test(arguments: [1, 2, 3, 5, 64])
    func reader_givesTheSameRecordsWhateverTheBlocks(blockBytes: Int) throws {
        let text = "\u{FEFF}名称,备注\r\n\"白马村,光伏\",\"say \"\"hi\"\"\"\r\n\r\n\"two\nlines\",资产\rlast,\"\"\n"
        let bytes = Array(text.utf8)
        var offset = 0
        var reader = CSVReader {
            guard offset < bytes.count else { return nil }
            defer { offset += blockBytes }
            return Array(bytes[offset..<min(bytes.count, offset + blockBytes)])
        }
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        #expect(records == (try CSV.parse(bytes)))
        #expect(records.map(\.fields) == [["名称", "备注"], ["白马村,光伏", "say \"hi\""], ["two\nlines", "资产"], ["last", ""]])
        #expect(records.map(\.line) == [1, 2, 4, 6])
    }

    /// A file whose last line has no line end, and an empty file: the reader
    /// asks for more after the end and must get nil again, not an error.
    @Test func fileReader_endsCleanlyWithoutAFinalLineEnd() throws {
        let path = NSTemporaryDirectory() + "tz-csv-" + String(UInt64.random(in: 0...UInt64.max)) + ".csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (text, expected) in [("a,b\r\nc,d", [["a", "b"], ["c", "d"]]), ("", []), ("x", [["x"]])] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            var reader = try #require(CSVReader(path: path))
            var records: [[String]] = []
            while let record = try reader.next() { records.append(record.fields) }
            #expect(records == expected)
            #expect(try reader.next() == nil)
        }
    }

    @Test func reader_namesTheLineOfTextThatIsNotUTF8() {
        var blocks: [[UInt8]] = [Array("名称\nok\n".utf8) + [0xD7, 0xCA] + Array("\n".utf8)]
        var reader = CSVReader { blocks.popLast() }
        #expect(throws: CSVError(line: 3, message: "the file is not UTF-8 text; in Excel or WPS save it as \"CSV UTF-8 (逗号分隔)\"")) {
            while try reader.next() != nil {}
        }
    }

    @Test func write_thenParse_roundTrips() throws {
        let rows = [["名称", "备注"], ["a,b", "x\"y"], ["line\nbreak", " lead"]]
        #expect(try CSV.parse(Array(CSV.write(rows).utf8)).map(\.fields) == rows)
    }
}

struct MoneyTests {
    @Test(arguments: [("1234.56", Int64(123_456)), ("1,234.5", 123_450), ("0.01", 1), ("7", 700), ("800000.00", 80_000_000)])
    func fen_readsYuanExactly(text: String, fen: Int64) {
        #expect(Money.fen(text) == fen)
        #expect(Money.fen(Money.yuan(fen)) == fen)
    }

    @Test(arguments: ["1.234", "-5", "1e3", "", "12a", ".5", "1."])
    func fen_refusesAnythingElse(text: String) {
        #expect(Money.fen(text) == nil)
    }

    @Test func percent_andBasisPoints_roundTrip() {
        #expect(Money.percent(6_667) == "66.67%")
        #expect(Money.basisPoints("66.67%") == 6_667)
        #expect(Money.basisPoints("100%") == 10_000)
        #expect(Money.basisPoints("100.01%") == nil)
        #expect(Money.grouped(123_456_789) == "1,234,567.89")
    }
}

struct LedgerSheetTests {
    static func asset() -> Taizhang_Ledger_V1_Asset {
        var asset = Taizhang_Ledger_V1_Asset()
        asset.code = "JL-1"
        asset.name = "=白马村光伏电站"
        asset.category = .operating
        asset.subType = "光伏电站"
        asset.form = .fixed
        asset.projectID = "JL-2019-001"
        asset.adminCode = "421024101201"
        asset.acquiredDate = "2019-06-30"
        asset.usefulLifeYears = 25
        asset.usageStatus = .idle
        asset.quantity = "100.5"
        asset.unit = "千瓦"
        asset.originalValueFen = 80_000_001
        asset.valueBasis = .provisional
        asset.funding = [.with { $0.source = .centralSpecial; $0.amountFen = 50_000_000 },
                         .with { $0.source = .socialDonation; $0.amountFen = 30_000_001 }]
        asset.owners = [.with { $0.name = "白马村集体经济组织"; $0.kind = .villageCollective; $0.adminCode = "421024101201"; $0.shareBp = 6_667 },
                        .with { $0.name = "新河村集体经济组织"; $0.kind = .villageCollective; $0.adminCode = "421024102201"; $0.shareBp = 3_333 }]
        asset.user = "使用人"
        asset.beneficiary = "收益人"
        asset.custody.custodian = "白马村村委会"
        asset.custody.responsiblePerson = "张三"
        asset.custody.contact = "13800000000"
        asset.custody.upkeepFunding = "收益"
        asset.supervisingDepartment = "县发展和改革局"
        asset.operation.mode = .entrusted
        asset.operation.counterparty = "公司, 有限"
        asset.operation.annualFeeFen = 6_400_000
        asset.operation.termStart = "2019-07-01"
        asset.operation.termEnd = "2039-06-30"
        asset.documents = [.with { $0.name = "验收报告"; $0.kind = "acceptance"; $0.sha256 = String(repeating: "ab", count: 32) }]
        asset.coordinates.latitude = 30.0312
        asset.coordinates.longitude = 112.4187
        asset.note = "多行\n备注"
        return asset
    }

    @Test func export_thenImport_reproducesEveryInputField() throws {
        let text = CSV.write(LedgerSheet.rows([Self.asset()]))
        let sheet = LedgerSheet.read(try CSV.parse(Array(text.utf8)))
        #expect(sheet.problems == [])
        #expect(sheet.rows.count == 1)
        #expect(sheet.rows.first?.asset == Self.asset())
        #expect(sheet.rows.first?.line == 2)
        // The formula-looking name was guarded in the file.
        #expect(text.contains(",'=白马村光伏电站,"))
    }

    /// A household owner of the register keeps its id through the CSV (issue 23).
    @Test func aHouseholdOwnersId_isAFifthPart_outAndIn() throws {
        var asset = Self.asset()
        asset.category = .household
        asset.owners = [.with { $0.name = "李桂英"; $0.kind = .householdOwner; $0.shareBp = 10_000; $0.householdID = "HH00000073" }]
        let text = CSV.write(LedgerSheet.rows([asset]))
        #expect(text.contains("李桂英/农户//100.00%/HH00000073"))
        let sheet = LedgerSheet.read(try CSV.parse(Array(text.utf8)))
        #expect(sheet.problems == [] && sheet.rows.first?.asset == asset)
    }

    @Test func englishHeaders_areReadToo() throws {
        let text = CSV.write(LedgerSheet.rows([Self.asset()], english: true))
        #expect(LedgerSheet.read(try CSV.parse(Array(text.utf8))).rows.first?.asset == Self.asset())
    }

    @Test func badCells_areReportedWithLineAndColumn() throws {
        var rows = LedgerSheet.rows([Self.asset(), Self.asset()])
        let columns = rows[0]
        func set(_ row: Int, _ column: LedgerColumn, _ value: String) { rows[row][columns.firstIndex(of: column.chinese)!] = value }
        set(1, .category, "经营")
        set(1, .originalValue, "12.345")
        set(2, .owners, "白马村/村集体/421024101201")
        set(2, .funding, "中央:5")
        let sheet = LedgerSheet.read(try CSV.parse(Array(CSV.write(rows).utf8)))
        // The first record spans lines 2–3 (its note has a line break): the second starts on line 4.
        #expect(sheet.problems.map { "\($0.line) \($0.column?.chinese ?? "")" } == ["2 资产类别", "2 原始价值(元)", "4 资金来源构成", "4 所有权人"])
    }

    @Test func header_mustNameKnownColumns_andTheRequiredOnes() throws {
        let sheet = LedgerSheet.read(try CSV.parse(Array("资产名称,颜色\nx,红\n".utf8)))
        let messages = sheet.problems.map(\.description)
        #expect(messages.contains("line 1: unknown column \"颜色\"; the template lists the columns"))
        #expect(messages.contains("line 1, 资产类别: the column is missing"))
        #expect(sheet.rows.isEmpty)
    }

    @Test func template_readsBackWithoutProblems() throws {
        let sheet = LedgerSheet.read(try CSV.parse(Array(CSV.write(LedgerSheet.template()).utf8)))
        #expect(sheet.problems == [])
        #expect(sheet.rows.first?.asset.owners.first?.shareBp == 10_000)
    }

    @Test func violationFields_mapToColumns() {
        #expect(LedgerColumn.column(ofAssetField: "funding[1].amount_fen") == .funding)
        #expect(LedgerColumn.column(ofAssetField: "custody.contact") == .contact)
        #expect(LedgerColumn.column(ofAssetField: "operation.term_end") == .termEnd)
        #expect(LedgerColumn.column(ofAssetField: "owners") == .owners)
    }
}

struct NoticePageTests {
    @Test func page_escapesText_andTotalsByCategory() {
        var welfare = LedgerSheetTests.asset()
        welfare.name = "<script>alert(1)</script>"
        welfare.category = .publicWelfare
        welfare.originalValueFen = 100
        welfare.netValueFen = 100
        var operating = LedgerSheetTests.asset()
        operating.originalValueFen = 1_000_000
        operating.accumulatedDepreciationFen = 400_000
        operating.netValueFen = 600_000
        let html = NoticePage.html([welfare, operating], details: NoticeDetails(unitName: "白马村", asOf: "2026-11-22", noticeStart: "2026-11-23",
                                                                               noticeEnd: "2026-12-01", objectionsTo: "县乡村振兴局 0716-1234567"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(html.contains("<h1>白马村扶贫项目资产公示</h1>"))
        #expect(html.contains("公示期 2026-11-23 至 2026-12-01"))
        #expect(html.contains("公益性小计：1 项"))
        #expect(html.contains("经营性小计：1 项"))
        #expect(html.contains("合计：2 项</td><td class=\"n\">10,001.00</td><td class=\"n\">4,000.00</td><td class=\"n\">6,001.00</td>"))
    }
}

/// Hostile text found in review: a prepended scalar must not hide markup or quotes.
struct SheetHostileTextTests {
    @Test func htmlEscape_worksScalarByScalar() {
        let escaped = NoticePage.escape("\u{0600}<img src=x onerror=alert(1)//")
        #expect(!escaped.contains("<"))
        #expect(escaped.contains("&lt;img"))
    }

    @Test func csvQuotes_areDoubledScalarByScalar_andFormulasGuardedEverywhere() throws {
        var asset = LedgerSheetTests.asset()
        asset.name = "\u{0600}\",=1+1,\"x"
        asset.note = "-2+3"
        asset.documents[0].name = "=1"
        let text = CSV.write(LedgerSheet.rows([asset]))
        let records = try CSV.parse(Array(text.utf8))
        #expect(records[1].fields.count == records[0].fields.count)
        #expect(records[1].fields.contains("'-2+3"))
        #expect(!records[1].fields.contains { $0.hasPrefix("=") })
        let back = LedgerSheet.read(records)
        #expect(back.problems == [])
        #expect(back.rows.first?.asset.name == asset.name)
        #expect(back.rows.first?.asset.note == "-2+3")
        #expect(back.rows.first?.asset.documents.first?.name == "=1")
    }

    @Test func separatorsInsideListEntries_areReplaced() throws {
        var asset = LedgerSheetTests.asset()
        asset.owners[0].name = "甲；乙/丙"
        let back = LedgerSheet.read(try CSV.parse(Array(CSV.write(LedgerSheet.rows([asset])).utf8)))
        #expect(back.problems == [])
        #expect(back.rows.first?.asset.owners.first?.name == "甲，乙／丙")
    }
}
