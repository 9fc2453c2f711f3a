// taizhang household list | show | add | update | export: the beneficiary
// register (issue 23; docs/households.md). ID and phone numbers are masked
// unless --reveal is given by an identity holding household.reveal, with a
// --reason the audit journal keeps. Tables are Chinese by default, English
// with --lang en.

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangCore
import TaizhangProto
import TaizhangSheets

extension Taizhang_Household_V1_ListHouseholdsRequest: PagedRequest {}
extension Taizhang_Household_V1_ListHouseholdsResponse: Page {}
extension Taizhang_Household_V1_ListVisitsRequest: PagedRequest {}
extension Taizhang_Household_V1_ListVisitsResponse: Page {}

/// `taizhang household`: the beneficiary register of each village.
struct HouseholdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "household",
        abstract: "The beneficiary register 帮扶对象台账: households, their labour capacity and category, each change dated with its reason.",
        discussion: """
        ID and phone numbers are sealed in the ledger and masked in every answer (4210**********1235). --reveal shows \
        them in clear to an identity with the permission household.reveal (role personal_data), and each household so \
        read is an entry of the audit journal with the --reason given.
        """,
        subcommands: [List.self, Show.self, Add.self, Update.self, Export.self, Import.self, Visit.self, Visits.self])

    /// (option name, value, Chinese name).
    static let categories: [(String, Taizhang_Household_V1_HouseholdCategory, String)] = [
        ("lifted", .lifted, "脱贫户"), ("unstable_lifted", .unstableLifted, "脱贫不稳定户"), ("edge_at_risk", .edgeAtRisk, "边缘易致贫户"),
        ("sudden_hardship", .suddenHardship, "突发严重困难户"), ("newly_poor", .newlyPoor, "新致贫户"), ("returned_to_poverty", .returnedToPoverty, "返贫户"),
    ]
    static let labour: [(String, Taizhang_Household_V1_LabourCapacity, String)] = [
        ("none", .none, "无劳动能力"), ("weak", .weak, "弱劳动能力"), ("full", .full, "有劳动能力"),
    ]

    static let columns: [Column<Taizhang_Household_V1_Household>] = [
        Column("编号", "id") { $0.id }, Column("村", "village") { $0.villageCode }, Column("户主", "head") { $0.headName },
        Column("身份证号", "ID number") { $0.idNumber }, Column("电话", "phone") { Format.orDash($0.phone) },
        Column("人口", "people") { String($0.size) },
        .label("劳动能力", "labour") { SupervisionLabels.name(HouseholdCommand.labour, $0.labourCapacity, $1) },
        .label("类别", "category") { SupervisionLabels.name(HouseholdCommand.categories, $0.category, $1) },
        Column("纳入日期", "registered") { $0.registeredOn },
    ]

    /// The households of `ids` in clear, journaled with `reason`.
    static func reveal(_ client: TaizhangClient, _ global: GlobalOptions, ids: [String], reason: String?) async throws -> [Taizhang_Household_V1_Household] {
        guard let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--reveal needs --reason: why the numbers are needed (kept in the audit journal)")
        }
        var revealed: [Taizhang_Household_V1_Household] = []
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(ids.count, start + 1000)])
            revealed += try await global.call(client, RPC.Households.revealHouseholds, .with { $0.ids = chunk; $0.reason = reason }).households
            start += chunk.count
        }
        return revealed
    }

    /// A household as text: its entry and its change log.
    static func describe(_ household: Taizhang_Household_V1_Household, _ language: Language) {
        let zh = language == .zh
        print(Table(columns, [household], language).render())
        if !household.members.isEmpty {
            print((zh ? "家庭成员：" : "members: ") + household.members.map { "\($0.name)（\($0.relation)）" }.joined(separator: zh ? "、" : ", "))
        }
        print(zh ? "变更记录：" : "changes:")
        for change in household.changes { print("  \(change.date)  \(change.what)  \(zh ? "原因" : "reason")：\(change.reason)") }
        print(zh ? "版本 \(household.version)" : "version \(household.version)")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The households of a unit and below, numbers masked (--reveal: in clear, journaled).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "Only households in this admin unit or below (12-digit code).") var admin: String = ""
        @Option(help: "Only these categories, comma-separated (lifted, unstable_lifted, edge_at_risk, sudden_hardship, newly_poor, returned_to_poverty, or their Chinese names).")
        var category: String?
        @Flag(help: "Show ID and phone numbers in clear (permission household.reveal; journaled).") var reveal = false
        @Option(help: "Why the numbers are needed (required with --reveal; kept in the audit journal).") var reason: String?

        func run() async throws {
            var request = Taizhang_Household_V1_ListHouseholdsRequest()
            request.adminCode = admin
            request.categories = try (category ?? "").split(separator: ",").map { try SupervisionLabels.parse(HouseholdCommand.categories, String($0), option: "--category") }
            guard reveal else {
                try await global.list(RPC.Households.listHouseholds, request, items: \.households, columns: HouseholdCommand.columns)
                return
            }
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let masked = try await global.all(client, RPC.Households.listHouseholds, request, items: \.households)
            let households = try await HouseholdCommand.reveal(client, global, ids: masked.map(\.id), reason: reason)
            try global.present(Taizhang_Household_V1_RevealHouseholdsResponse.with { $0.households = households }) { response in
                print(Table(HouseholdCommand.columns, response.households, global.language).render())
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "A household with its members and change log.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The household, e.g. HH00000001.") var id: String
        @Flag(help: "Show ID and phone numbers in clear (permission household.reveal; journaled).") var reveal = false
        @Option(help: "Why the numbers are needed (required with --reveal).") var reason: String?

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let household = reveal
                ? try await HouseholdCommand.reveal(client, global, ids: [id], reason: reason)[0]
                : try await global.call(client, RPC.Households.getHousehold, .with { $0.id = id })
            try global.present(household) { HouseholdCommand.describe($0, global.language) }
        }
    }

    /// Options shared by add and update.
    struct Entry: ParsableArguments {
        @Option(name: .customLong("head"), help: "The head of household 户主.") var head: String?
        @Option(name: .customLong("id-number"), help: "The head's 18-character citizen ID number (GB 11643); - reads it from standard input (kept out of the shell's history and ps).")
        var idNumber: String?
        @Option(help: "A phone number: 11-digit mobile, or 0713-1234567.") var phone: String?
        @Option(name: .customLong("member"), help: "A member besides the head, NAME:RELATION (e.g. 李德福:配偶); repeat for each.") var members: [String] = []
        @Option(help: "Labour capacity: none (无劳动能力), weak (弱劳动能力) or full (有劳动能力).") var labour: String?
        @Option(help: "Category: lifted, unstable_lifted, edge_at_risk, sudden_hardship, newly_poor, returned_to_poverty (or the Chinese name).") var category: String?
        @Option(help: "The day it takes effect, YYYY-MM-DD (default: today).") var date: String = ""
        @Option(help: "Why: 识别纳入, 监测发现, 因灾 ….") var reason: String

        func apply(to household: inout Taizhang_Household_V1_Household) throws {
            if let head { household.headName = head }
            if idNumber == "-" {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("--id-number -: no ID number on standard input") }
                household.idNumber = line.trimmingCharacters(in: .whitespaces)
            } else if let idNumber {
                household.idNumber = idNumber
            }
            if let phone { household.phone = phone }
            if !members.isEmpty {
                household.members = try members.map { text in
                    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw ValidationError("--member \(text): write NAME:RELATION, e.g. 李德福:配偶") }
                    return .with { $0.name = parts[0]; $0.relation = parts[1] }
                }
            }
            if let labour { household.labourCapacity = try SupervisionLabels.parse(HouseholdCommand.labour, labour, option: "--labour") }
            if let category { household.category = try SupervisionLabels.parse(HouseholdCommand.categories, category, option: "--category") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a household in its village.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The village's 12-digit admin code.") var village: String
        @OptionGroup var entry: Entry

        func run() async throws {
            var request = Taizhang_Household_V1_RegisterHouseholdRequest()
            request.household.villageCode = village
            try entry.apply(to: &request.household)
            (request.date, request.reason) = (entry.date, entry.reason)
            try await global.show(RPC.Households.registerHousehold, request) { HouseholdCommand.describe($0, global.language) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Change a household's entry from a day, with the reason (kept in its change log).",
            discussion: "What is not given stays as registered; the ID and phone numbers stay unless given again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The household, e.g. HH00000001.") var id: String
        @OptionGroup var entry: Entry
        @Flag(name: .customLong("remove-phone"), help: "Remove the phone number.") var removePhone = false
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the household is still at this version (default: the version read now).")
        var expectedVersion: Int64?

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let current = try await global.call(client, RPC.Households.getHousehold, .with { $0.id = id })
            var request = Taizhang_Household_V1_UpdateHouseholdRequest()
            request.household = current
            // The masked numbers stay as registered unless given again.
            (request.household.idNumber, request.household.phone) = ("", "")
            request.household.changes = []
            try entry.apply(to: &request.household)
            (request.date, request.reason, request.removePhone) = (entry.date, entry.reason, removePhone)
            request.expectedVersion = expectedVersion ?? current.version
            let changed = try await global.call(client, RPC.Households.updateHousehold, request)
            try global.present(changed) { HouseholdCommand.describe($0, global.language) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "The register as CSV (UTF-8 with a header row), numbers masked unless --reveal.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "Only households in this admin unit or below (12-digit code).") var admin: String = ""
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
        @Flag(help: "ID and phone numbers in clear (permission household.reveal; each household journaled).") var reveal = false
        @Option(help: "Why the numbers are needed (required with --reveal).") var reason: String?

        static let header = ["id", "village_code", "head_name", "id_number", "phone", "members", "labour_capacity", "category", "registered_on", "version"]

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var households = try await global.all(client, RPC.Households.listHouseholds, .with { $0.adminCode = admin }, items: \.households)
            if reveal { households = try await HouseholdCommand.reveal(client, global, ids: households.map(\.id), reason: reason) }
            let rows = households.map { household -> [String] in
                [household.id, household.villageCode, household.headName, household.idNumber, household.phone,
                 household.members.map { "\($0.name):\($0.relation)" }.joined(separator: ";"),
                 HouseholdCommand.labour.first { $0.1 == household.labourCapacity }?.0 ?? "",
                 HouseholdCommand.categories.first { $0.1 == household.category }?.0 ?? "",
                 household.registeredOn, String(household.version)]
            }
            let text = CSV.write([Self.header] + rows)
            if let output {
                // Numbers in clear are never readable by others, not even for a moment.
                let mode: mode_t = reveal ? 0o600 : 0o644
                let descriptor = open(output, O_WRONLY | O_CREAT | O_TRUNC, mode)
                let bytes = Array(text.utf8)
                guard descriptor >= 0 else {
                    printError("cannot write \(output): \(String(cString: strerror(errno)))")
                    throw ExitCode(1)
                }
                defer { close(descriptor) }
                guard fchmod(descriptor, mode) == 0, write(descriptor, bytes, bytes.count) == bytes.count else {
                    printError("cannot write \(output): \(String(cString: strerror(errno)))")
                    throw ExitCode(1)
                }
                FileHandle.standardError.write(Data("\(households.count) households written to \(output)\(reveal ? " (numbers in clear: mode 0600)" : "")\n".utf8))
            } else {
                print(text, terminator: "")
            }
        }
    }

    static let visitColumns: [Column<Taizhang_Household_V1_Visit>] = [
        Column("编号", "id") { $0.id }, Column("日期", "date") { $0.date }, Column("农户", "household") { "\($0.householdID) \($0.headName)" },
        Column("方案", "plan") { $0.planID }, Column("巡查人", "inspector") { $0.inspector },
        .label("收益", "payment") { $1 == .zh ? ($0.paymentConfirmed ? "确认收到" : "有异议") : ($0.paymentConfirmed ? "confirmed" : "DISPUTED") },
        .label("签字手印", "signature") { $1 == .zh ? ($0.signaturesMatch ? "相符" : "不符") : ($0.signaturesMatch ? "matches" : "DOES NOT MATCH") },
    ]

    /// `taizhang household visit`: 巡问查比 of one household about one plan.
    struct Visit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "visit", abstract: "Record a visit to a household about a plan's payment (巡问查比).",
            discussion: "A payment disputed (--disputed) or a signature not matching (--signature-mismatch) raises payment_disputed on the plan until a later visit confirms both.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The household, e.g. HH00000001.") var household: String
        @Option(help: "The carried-out plan whose payment was checked, e.g. FP00000001.") var plan: String
        @Option(help: "Who visited.") var inspector: String
        @Option(help: "What was asked and answered.") var asked: String
        @Flag(help: "The household says it did not receive its share in full.") var disputed = false
        @Flag(name: .customLong("signature-mismatch"), help: "The signature or thumbprint does not match the payment sheet.") var signatureMismatch = false
        @Option(help: "The day of the visit, YYYY-MM-DD (default: today).") var date: String = ""
        @Option(help: "Notes.") var notes: String = ""

        func run() async throws {
            let request = Taizhang_Household_V1_RecordVisitRequest.with {
                $0.visit = .with { visit in
                    (visit.householdID, visit.planID, visit.date, visit.inspector, visit.asked, visit.notes) = (household, plan, date, inspector, asked, notes)
                    (visit.paymentConfirmed, visit.signaturesMatch) = (!disputed, !signatureMismatch)
                }
            }
            try await global.show(RPC.Households.recordVisit, request) { visit in
                print(Table(HouseholdCommand.visitColumns, [visit], global.language).render())
                if visit.disputed {
                    print(global.language == .zh ? "已登记争议：方案 \(visit.planID) 将亮到户收益发放争议预警，直至再次核实确认" : "disputed: plan \(visit.planID) gets a payment_disputed alert until a later visit confirms")
                }
            }
        }
    }

    struct Visits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "visits", abstract: "The visits of a unit and below (--disputed: only those with a dispute or mismatch).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "Only visits in this admin unit or below (12-digit code).") var admin: String = ""
        @Flag(help: "Only disputed visits.") var disputed = false

        func run() async throws {
            try await global.list(RPC.Households.listVisits, .with { $0.adminCode = admin; $0.disputedOnly = disputed }, items: \.visits,
                                  columns: HouseholdCommand.visitColumns)
        }
    }

    /// `taizhang household import`: the register from CSV, all rows or none.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Register households from a CSV file (UTF-8, a header row), all or none; --dry-run lists every bad row.",
            discussion: """
            Columns by name: village_code, head_name, id_number, phone, members (NAME:RELATION;…), labour_capacity, category \
            (English or Chinese names); an id column, as export writes it, must be empty. At most 10,000 rows.
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "Why they enter the register (识别纳入 …).") var reason: String
        @Option(help: "The day they enter the register, YYYY-MM-DD (default: today).") var date: String = ""
        @Flag(name: .customLong("dry-run"), help: "Check every row against the ledger; register nothing.") var dryRun = false

        /// The rows as households, and what of them could not be read (by CSV line).
        static func households(_ records: [CSVRecord]) -> ([Taizhang_Household_V1_Household], [String]) {
            guard let header = records.first else { return ([], ["the file is empty: a header row and one row per household"]) }
            let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{FEFF}", with: "") }
            var problems: [String] = []
            for required in ["village_code", "head_name", "id_number", "labour_capacity", "category"] where !names.contains(required) {
                problems.append("line \(header.line): the header has no \(required) column")
            }
            if !problems.isEmpty { return ([], problems) }
            var out: [Taizhang_Household_V1_Household] = []
            for record in records.dropFirst() {
                var row: [String: String] = [:]
                for (name, value) in zip(names, record.fields) { row[name] = value.trimmingCharacters(in: .whitespaces) }
                var household = Taizhang_Household_V1_Household()
                household.id = row["id"] ?? ""
                household.villageCode = row["village_code"] ?? ""
                household.headName = row["head_name"] ?? ""
                household.idNumber = row["id_number"] ?? ""
                household.phone = row["phone"] ?? ""
                for member in (row["members"] ?? "").split(separator: ";") {
                    let parts = member.split(separator: ":", maxSplits: 1).map(String.init)
                    if parts.count == 2 { household.members.append(.with { $0.name = parts[0]; $0.relation = parts[1] }) } else {
                        problems.append("line \(record.line): members: write NAME:RELATION;… (e.g. 李德福:配偶)")
                    }
                }
                let labour = row["labour_capacity"] ?? ""
                if let found = HouseholdCommand.labour.first(where: { $0.0 == labour || $0.2 == labour }) { household.labourCapacity = found.1 } else {
                    problems.append("line \(record.line): labour_capacity \"\(labour)\": none, weak or full (无劳动能力, 弱劳动能力, 有劳动能力)")
                }
                let category = row["category"] ?? ""
                if let found = HouseholdCommand.categories.first(where: { $0.0 == category || $0.2 == category }) { household.category = found.1 } else {
                    problems.append("line \(record.line): category \"\(category)\": \(HouseholdCommand.categories.map(\.0).joined(separator: ", ")) or the Chinese names")
                }
                out.append(household)
            }
            return (out, problems)
        }

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("cannot read \(file)")
                throw ExitCode(1)
            }
            let records: [CSVRecord]
            do { records = try CSV.parse(Array(data)) } catch {
                printError("\(file): \(error)")
                throw ExitCode(13)
            }
            let (households, problems) = Self.households(records)
            guard problems.isEmpty else {
                for problem in problems { printError("\(file) \(problem)") }
                printError(global.language == .zh ? "有 \(problems.count) 处无法读取，未登记任何农户" : "\(problems.count) problem(s) reading the file; nothing was registered")
                throw ExitCode(13)
            }
            let request = Taizhang_Household_V1_ImportHouseholdsRequest.with {
                $0.households = households; $0.reason = reason; $0.date = date; $0.validateOnly = dryRun
            }
            let lines = records.dropFirst().map(\.line)
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var metadata = global.metadata
            // A key of this call only: a digest of the file (its numbers in clear) would reach the journal.
            if !dryRun { metadata["idempotency-key"] = "household-import-" + UUID().uuidString }
            let zh = global.language == .zh
            do {
                let response = try await client.unary(RPC.Households.importHouseholds.path, request, as: Taizhang_Household_V1_ImportHouseholdsResponse.self,
                                                      metadata: metadata, timeoutMillis: global.timeoutMillis)
                try global.present(response) { response in
                    if dryRun {
                        print(zh ? "试导入：\(households.count) 行均无问题（未登记）" : "dry run: all \(households.count) rows are valid (nothing registered)")
                    } else {
                        print(zh ? "已登记 \(response.households.count) 户（\(response.households.first?.id ?? "")–\(response.households.last?.id ?? "")）"
                                 : "registered \(response.households.count) households (\(response.households.first?.id ?? "")–\(response.households.last?.id ?? ""))")
                    }
                }
            } catch let error as RPCError {
                // Each violation at its line of the file: households[i] is the i-th row after the header.
                printError("\(file): \(error.status.message)")
                for violation in error.status.violations {
                    var place = violation.field
                    if violation.field.hasPrefix("households["), let close = violation.field.firstIndex(of: "]"),
                       let index = Int(violation.field[violation.field.index(violation.field.startIndex, offsetBy: 11)..<close]), index < lines.count {
                        place = "line \(lines[index]): " + String(violation.field[violation.field.index(after: close)...]).drop(while: { $0 == "." })
                    }
                    printError("  \(place): \(violation.description_p)")
                }
                throw ExitCode(Int32(10 + error.status.code.rawValue))
            }
        }
    }
}
