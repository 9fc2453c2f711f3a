// The stored JSON form of stewardship records (income, distribution plans,
// stock-takes, disposals, revitalising plans). Unlike assets, which are
// read by hand because a county holds a hundred thousand of them, these are
// few (a village records a handful a year), so Foundation's coders serve;
// sorted keys keep the text, and so the audit journal, deterministic.
// Stored records must stay readable: a field added to a record later is an
// optional (or decoded with a default), never a new required key.

import Foundation
import TaizhangCore

enum StewardshipJSON {
    static func text(_ record: StewardshipRecord) -> String {
        // Households by hand: an import writes 10,000 in one commit.
        if case .household(let household) = record { return household.jsonText }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            switch record {
            case .income(let value): data = try encoder.encode(value)
            case .plan(let value): data = try encoder.encode(value)
            case .stockTake(let value): data = try encoder.encode(value)
            case .disposal(let value): data = try encoder.encode(value)
            case .revitalising(let value): data = try encoder.encode(value)
            case .alert(let value): data = try encoder.encode(value)
            case .progress(let value): data = try encoder.encode(value)
            case .unit(let value): data = try encoder.encode(value)
            case .assessment(let value): data = try encoder.encode(value)
            case .disbursement(let value): data = try encoder.encode(value)
            case .household(let value): data = try encoder.encode(value)
            case .visit(let value): data = try encoder.encode(value)
            case .upkeep(let value): data = try encoder.encode(value)
            }
        } catch {
            // The records hold only strings, integers, dates and enums: encoding cannot fail.
            preconditionFailure("encoding a \(record.kind.rawValue) record failed: \(error)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ change: StockTakeChange) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, integers, dates and enums only: encoding cannot fail.
        return (try? encoder.encode(change)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func record(kind: StewardshipKind, text: String) throws -> StewardshipRecord {
        let decoder = JSONDecoder()
        let data = Data(text.utf8)
        switch kind {
        case .income: return .income(try decoder.decode(IncomeRecord.self, from: data))
        case .distributionPlan: return .plan(try decoder.decode(DistributionPlan.self, from: data))
        case .stockTake: return .stockTake(try decoder.decode(StockTake.self, from: data))
        case .disposal: return .disposal(try decoder.decode(DisposalEntry.self, from: data))
        case .revitalisingPlan: return .revitalising(try decoder.decode(RevitalisingPlan.self, from: data))
        case .alert: return .alert(try decoder.decode(AlertCase.self, from: data))
        case .projectProgress: return .progress(try decoder.decode(ProjectProgress.self, from: data))
        case .responsibleUnit: return .unit(try decoder.decode(ResponsibleUnit.self, from: data))
        case .assessment: return .assessment(try decoder.decode(ProjectAssessment.self, from: data))
        case .disbursement: return .disbursement(try decoder.decode(DisbursementRecord.self, from: data))
        case .household: return .household(try decoder.decode(Household.self, from: data))
        case .visit: return .visit(try decoder.decode(HouseholdVisit.self, from: data))
        case .upkeep: return .upkeep(try decoder.decode(UpkeepRecord.self, from: data))
        }
    }
}
