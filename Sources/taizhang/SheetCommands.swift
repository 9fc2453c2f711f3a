// taizhang ledger summary | export | import | template: ledger views and the
// spreadsheets counties keep (004 §18).

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangProto
import TaizhangSheets

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Ledger views, CSV import and export, the notice page.",
                                                    subcommands: [Summary.self, Export.self, Import.self, Template.self])

    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Totals of a unit's ledger by category: count, original value, depreciation, net value.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "The unit whose ledger (with everything owned below it); default: the whole ledger.") var admin: String = ""
        @Option(help: "Only assets acquired in this year.") var year: Int32 = 0
        @Option(name: .customLong("as-of"), help: "YYYY-MM-DD (default: today).") var asOf: String = ""

        /// A row of totals: a category's, or the whole ledger's.
        struct Row {
            var name: String
            var totals: Taizhang_Ledger_V1_LedgerTotals
        }

        static let columns: [Column<Row>] = [
            Column("类别", "category") { $0.name }, .number("数量", "count") { $0.totals.count },
            .money("原值(元)", "original (yuan)") { $0.totals.originalValueFen },
            .money("累计折旧(元)", "depreciation (yuan)") { $0.totals.accumulatedDepreciationFen }, .money("净值(元)", "net (yuan)") { $0.totals.netValueFen },
        ]

        func run() async throws {
            var request = Taizhang_Ledger_V1_GetLedgerSummaryRequest()
            request.adminCode = admin
            request.year = year
            request.asOf = asOf
            try await global.show(RPC.Ledger.getLedgerSummary, request, describe)
        }

        /// The summary for people: a row per category and the total, the stages, the gaps.
        func describe(_ summary: Taizhang_Ledger_V1_LedgerSummary) {
            let zh = global.language == .zh
            let rows = summary.byCategory.map { Row(name: Labels.category($0.category, global.language), totals: $0.totals) }
                + [Row(name: zh ? "合计" : "total", totals: summary.total)]
            print(zh ? "\(admin.isEmpty ? "全部台账" : admin + " 台账")，截至 \(summary.asOf)" : "\(admin.isEmpty ? "whole ledger" : "ledger of " + admin), as of \(summary.asOf)")
            print(Table(Self.columns, rows, global.language).render())
            let stages = summary.byStage.map { "\(Labels.stage($0.stage, global.language)) \($0.count)" }.joined(separator: zh ? "，" : ", ")
            print(zh ? "阶段：\(stages)" : "stages: \(stages)")
            print(zh ? "无管护主体 \(summary.withoutCustodian) 项；逾期未移交 \(summary.handoverOverdue) 项"
                     : "\(summary.withoutCustodian) without a custodian; \(summary.handoverOverdue) past their handover deadline")
            let year = summary.asOf.prefix(4)
            print(zh ? "\(year)年度管护记录 \(summary.upkeepRecords) 条，管护费用 \(Format.yuan(summary.upkeepCostFen)) 元（按村、按资产：taizhang upkeep costs）"
                     : "upkeep in \(year): \(summary.upkeepRecords) record(s), \(Format.yuan(summary.upkeepCostFen)) yuan (by village and asset: taizhang upkeep costs)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export a unit's ledger as CSV (the 台账 columns) or as a printable HTML notice.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "The unit (village, township or county); default: the whole ledger.") var admin: String = ""
        @Option(help: "Only assets acquired in this year.") var year: Int32 = 0
        @Option(help: "csv or html.") var format: String = "csv"
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?
        @Option(name: .customLong("notice-start"), help: "HTML: the notice period's first day.") var noticeStart: String = ""
        @Option(name: .customLong("notice-end"), help: "HTML: the notice period's last day.") var noticeEnd: String = ""
        @Option(name: .customLong("objections-to"), help: "HTML: who takes objections, e.g. \"县乡村振兴局 0716-1234567\".") var objectionsTo: String = ""

        func validate() throws {
            if format != "csv" && format != "html" { throw ValidationError("--format must be csv or html") }
        }

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var request = Taizhang_Ledger_V1_ListAssetsRequest()
            request.ledgerCode = admin
            request.year = year
            request.pageSize = 1000
            request.skipTotal = true
            let assets = try await global.all(client, RPC.Ledger.listAssets, request, items: \.assets)
            let english = global.language == .en
            var text: String
            if format == "csv" {
                text = "\u{FEFF}" + CSV.write(LedgerSheet.rows(assets, english: english))
            } else {
                let name = try await global.unitName(client, code: admin)
                let today = ChinaDate.today
                text = NoticePage.html(assets, details: NoticeDetails(unitName: name, asOf: today, noticeStart: noticeStart,
                                                                      noticeEnd: noticeEnd, objectionsTo: objectionsTo), english: english)
                text = try await global.stamped(text, client, records: assets.map { ($0.id, "\($0.code.isEmpty ? $0.id : $0.code) \($0.name)") })
            }
            try global.emit(text, to: out, note: english ? "wrote \(assets.count) assets to \(out ?? "")" : "已导出 \(assets.count) 项资产到 \(out ?? "")")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV ledger (Chinese headers, see `taizhang ledger template`): all rows or none.",
            discussion: """
            --dry-run checks every row, in the file and against the ledger, reports every bad cell with its line \
            and column, and changes nothing. Without it the rows are registered in one transaction, or, if any \
            row is bad, none are. Up to 200,000 rows; progress goes to standard error.
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The CSV file (UTF-8).") var file: String
        @Flag(name: .customLong("dry-run"), help: "Check only; register nothing.") var dryRun = false
        @Option(name: .customLong("chunk-rows"), help: "Rows per request (1...5000).") var chunkRows = 5000

        static let fileMaxBytes = 256 * 1024 * 1024

        func validate() throws {
            if !(1...5000).contains(chunkRows) { throw ValidationError("--chunk-rows must be between 1 and 5000") }
        }

        /// Most bytes of one row's asset as sent: the daemon's frames carry at
        /// most 4 MiB by default (`frame-max-bytes`), its text fields at most
        /// 4,096 bytes each; a row near this is a mistake, and a row over a
        /// frame would end the connection.
        static let rowMaxBytes = 1 << 20
        /// Most rows in one import (the daemon's limit).
        static let rowsMax = 200_000

        func run() async throws {
            var file = try open()
            let (ids, serverViolations) = try await send(&file)
            var problems = file.problems
            Self.place(serverViolations, lines: file.lines, into: &problems)
            try report(problems, rows: file.rows, ids: ids)
        }

        /// The file as it is read, a record at a time: its header, the lines
        /// of the rows sent so far (the daemon names a row by its place
        /// among them), and the problems found in its cells.
        struct SheetFile {
            var reader: CSVReader
            var header: SheetHeader?
            var lines: [Int] = []
            var rows = 0
            var problems: [CellProblem] = []
        }

        /// The file, opened and its header read.
        private func open() throws -> SheetFile {
            let zh = global.language == .zh
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            if let size = attributes?[.size] as? Int, size > Self.fileMaxBytes {
                printError(zh ? "\(file) 超过 \(Self.fileMaxBytes / 1024 / 1024) MiB，请拆分后导入" : "\(file) is over \(Self.fileMaxBytes / 1024 / 1024) MiB; split it")
                throw ExitCode(2)
            }
            guard let reader = CSVReader(path: file) else {
                printError(zh ? "无法读取 \(file)" : "cannot read \(file)")
                throw ExitCode(2)
            }
            var sheet = SheetFile(reader: reader)
            guard let first = try next(&sheet) else {
                sheet.problems = [SheetHeader.empty]
                return sheet
            }
            (sheet.header, sheet.problems) = SheetHeader.read(first)
            return sheet
        }

        private func next(_ sheet: inout SheetFile) throws -> CSVRecord? {
            do {
                return try sheet.reader.next()
            } catch let error as CSVError {
                printError("\(file): \(global.language == .zh ? "第 \(error.line) 行" : "line \(error.line)"): \(error.message)")
                throw ExitCode(13)
            }
        }

        /// The next row to send and its size, checking every row on the way;
        /// a row too large to send is a problem, not sent.
        private func nextAsset(_ sheet: inout SheetFile) throws -> (Taizhang_Ledger_V1_Asset, Int)? {
            guard let header = sheet.header else { return nil }
            while let record = try next(&sheet) {
                sheet.rows += 1
                if sheet.rows > Self.rowsMax {
                    printError(global.language == .zh ? "\(file) 超过一次导入的上限 \(Self.rowsMax) 行，请拆分；未导入任何资产"
                                                       : "\(file) has more than \(Self.rowsMax) rows, the most one import takes: split it; nothing was imported")
                    throw ExitCode(2)
                }
                let (asset, problems) = header.asset(record)
                sheet.problems += problems
                guard let asset else { continue }
                let bytes = (try? asset.serializedBytes() as [UInt8])?.count ?? 0
                if bytes > Self.rowMaxBytes {
                    sheet.problems.append(Self.oversize(record, bytes: bytes, header: header))
                    continue
                }
                sheet.lines.append(record.line)
                return (asset, bytes)
            }
            return nil
        }

        /// The problem of a row too large to send, placed on its largest cell.
        static func oversize(_ record: CSVRecord, bytes: Int, header: SheetHeader) -> CellProblem {
            let largest = record.fields.indices.max { record.fields[$0].utf8.count < record.fields[$1].utf8.count } ?? 0
            return CellProblem(line: record.line, column: header.column(at: largest),
                               message: "the row is \(bytes) bytes to send (this cell \(record.fields[largest].utf8.count)); a row is at most \(rowMaxBytes) bytes, and a text field at most 4096")
        }

        /// Reads the file and sends its rows in chunks under one import as
        /// they are read; the final chunk registers them, unless this is a
        /// dry run or the CLI found a problem in a cell (then the daemon only
        /// checks, so every problem is listed at once). The ids registered,
        /// or the violations the ledger found.
        private func send(_ sheet: inout SheetFile) async throws -> ([String], [Taizhang_Rpc_V1_FieldViolation]) {
            let zh = global.language == .zh
            guard sheet.header != nil else { return ([], []) }
            var ahead = try nextAsset(&sheet)
            if ahead == nil, sheet.problems.isEmpty {
                printError(zh ? "\(file) 没有数据行" : "\(file) has no data rows")
                throw ExitCode(2)
            }
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let importId = UUID().uuidString
            var sent = 0
            var ids: [String] = []
            var serverViolations: [Taizhang_Rpc_V1_FieldViolation] = []
            repeat {
                var request = Taizhang_Ledger_V1_ImportAssetsRequest()
                request.importID = importId
                request.firstRow = UInt64(sent)
                var bytes = 0
                while let (asset, size) = ahead, request.assets.count < chunkRows, bytes < 2_000_000 {
                    request.assets.append(asset)
                    bytes += size
                    do {
                        ahead = try nextAsset(&sheet)
                    } catch {
                        // The file cannot be sent whole: end the import the
                        // daemon holds for it, so its rows do not wait there.
                        if sent > 0 { await Self.abandon(importId, at: sent, client: client, metadata: global.metadata) }
                        throw error
                    }
                }
                request.final = ahead == nil
                request.validateOnly = dryRun || !sheet.problems.isEmpty
                var metadata = global.metadata
                metadata["idempotency-key"] = "import-\(importId)-\(sent)"
                do {
                    // The final chunk registers every row: give it time.
                    let timeout: UInt32 = request.final ? max(global.timeoutMillis, 600_000) : global.timeoutMillis
                    let answer = try await client.unary(RPC.Ledger.importAssets, request, as: Taizhang_Ledger_V1_ImportAssetsResponse.self,
                                                        metadata: metadata, timeoutMillis: timeout)
                    ids = answer.ids
                } catch let error as RPCError where error.status.code == .invalidArgument && request.final {
                    serverViolations = error.status.violations
                    if error.status.violations.isEmpty { printError(error.status.message) }
                } catch let error as RPCError {
                    printError("ImportAssets failed: \(error)")
                    if !request.final {
                        await Self.abandon(importId, at: sent, orAt: sent + request.assets.count, client: client, metadata: global.metadata)
                    }
                    throw ExitCode(Int32(10 + error.status.code.rawValue))
                }
                sent += request.assets.count
                printError(zh ? "已\(request.validateOnly ? "检查" : "上传") \(sent) 行" : "\(request.validateOnly ? "checked" : "sent") \(sent) rows")
            } while ahead != nil
            return (ids, serverViolations)
        }

        /// Ends an import whose file stopped being read after `rows` rows
        /// were sent: an empty final chunk that only checks registers nothing
        /// and frees the rows the daemon held (it would otherwise keep them
        /// for 10 minutes against its limit). Its answer does not matter.
        static func abandon(_ importId: String, at rows: Int, orAt alsoRows: Int? = nil, client: TaizhangClient, metadata: [String: String]) async {
            // A chunk whose answer was lost may or may not have been added:
            // the daemon names the row it expects (FAILED_PRECONDITION).
            for first in [rows] + (alsoRows.map { [$0] } ?? []) {
                var request = Taizhang_Ledger_V1_ImportAssetsRequest()
                request.importID = importId
                request.firstRow = UInt64(first)
                request.final = true
                request.validateOnly = true
                do {
                    _ = try await client.unary(RPC.Ledger.importAssets, request, as: Taizhang_Ledger_V1_ImportAssetsResponse.self, metadata: metadata)
                    return
                } catch let error as RPCError where error.status.code == .failedPrecondition {
                    continue
                } catch {
                    return
                }
            }
        }

        /// The ledger's violations as cell problems: "assets[12].funding[0].amount_fen" → row 12, the funding column.
        private static func place(_ serverViolations: [Taizhang_Rpc_V1_FieldViolation], lines: [Int], into problems: inout [CellProblem]) {
            for violation in serverViolations {
                let field = violation.field
                guard field.hasPrefix("assets["), let close = field.firstIndex(of: "]"),
                      let row = Int(field[field.index(field.startIndex, offsetBy: 7)..<close]), row < lines.count else {
                    problems.append(CellProblem(line: 0, column: nil, message: "\(field): \(violation.description_p)"))
                    continue
                }
                let rest = field[field.index(after: close)...].drop { $0 == "." }
                let line = lines[row]
                let column = LedgerColumn.column(ofAssetField: String(rest))
                if problems.contains(where: { $0.line == line && $0.column == column }) { continue }
                problems.append(CellProblem(line: line, column: column, message: violation.description_p))
            }
        }

        /// Prints the problems (exit 13) or what was imported.
        private func report(_ problems: [CellProblem], rows: Int, ids: [String]) throws {
            let zh = global.language == .zh
            var problems = problems
            if !problems.isEmpty {
                problems.sort { ($0.line, $0.column?.chinese ?? "") < ($1.line, $1.column?.chinese ?? "") }
                for problem in problems {
                    let place = zh ? "第 \(problem.line) 行\(problem.column.map { "「\($0.chinese)」" } ?? "")" : "line \(problem.line)\(problem.column.map { ", \($0.english)" } ?? "")"
                    print("\(place): \(problem.message)")
                }
                let lines = Set(problems.map(\.line)).count
                print(zh ? "\(lines) 行有误，共 \(problems.count) 处；未导入任何资产" : "\(problems.count) problems on \(lines) lines; nothing was imported")
                throw ExitCode(13)
            }
            if dryRun {
                print(zh ? "检查通过：\(rows) 行均可导入（试运行，未导入）" : "all \(rows) rows can be imported (dry run: nothing was imported)")
            } else {
                print(zh ? "已导入 \(ids.count) 项资产：\(ids.first ?? "") … \(ids.last ?? "")" : "imported \(ids.count) assets: \(ids.first ?? "") … \(ids.last ?? "")")
            }
        }
    }

    struct Template: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the CSV import template: the columns and an example row.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?

        func run() async throws {
            let text = "\u{FEFF}" + CSV.write(LedgerSheet.template())
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
