// taizhang-bench --scenario households-csv / payment-plans (issue 23), on the
// demo county: the register's CSV files for `taizhang household import`
// (one village of the demo's first receipt gets `--village-households` of
// them, the rest spread over the other villages), and that village's plans,
// each paying every household of its register and carried out with one
// payment line per household, for `taizhang plan sheet` to print.

import Foundation
import NIOPosix
import SwiftProtobuf
import TaizhangDemo
import TaizhangProto

extension Bench {
    /// The village of the demo's first receipt, and the asset it came from.
    static func sheetVillage(group: MultiThreadedEventLoopGroup, socket: String) throws -> (village: String, assetId: String) {
        let list = try Taizhang_Ledger_V1_ListIncomeResponse(serializedBytes: try call(group: group, socket: socket, RPC.Ledger.listIncome.path,
                                                                                        try Taizhang_Ledger_V1_ListIncomeRequest.with { $0.pageSize = 1 }.serializedData()))
        guard let first = list.income.first else { throw BenchFailure(text: "the ledger has no income: load the demo county first") }
        return (first.ownerCode, first.assetID)
    }

    /// Writes `households` rows as CSV files of 10,000 rows (the import's
    /// limit) into `directory`: valid, distinct GB 11643 numbers, a phone,
    /// a member or two; labour capacity and category varied.
    static func householdFiles(group: MultiThreadedEventLoopGroup, socket: String, households: Int, inVillage: Int, directory: String) throws {
        let (village, _) = try sheetVillage(group: group, socket: socket)
        let others = DemoCounty().units.filter { $0.level == .village && $0.code != village }.map(\.code)
        let categories = ["lifted", "lifted", "lifted", "unstable_lifted", "edge_at_risk", "sudden_hardship", "newly_poor", "returned_to_poverty"]
        var files = 0
        var text = "village_code,head_name,id_number,phone,members,labour_capacity,category\n"
        for index in 0..<households {
            // A different county's region code from the demo's; birth days from 1940, 500 sequence numbers a day.
            let born = DemoCounty.add(days: index / 500, toDate: "1940-01-01").replacingOccurrences(of: "-", with: "")
            let first17 = "421081" + born + String(500 + index % 500)
            let code = index < inVillage ? village : others[index % others.count]
            let labour = ["none", "weak", "full", "full"][index % 4]
            text += "\(code),户主\(index),\(first17)\(DemoCounty.checkCharacter(first17)),1\(String(3_800_000_000 + index)),配偶\(index):配偶,\(labour),\(categories[index % categories.count])\n"
            if (index + 1) % 10_000 == 0 || index == households - 1 {
                files += 1
                try text.write(toFile: String(format: "%@/households-%03d.csv", directory, files), atomically: true, encoding: .utf8)
                text = "village_code,head_name,id_number,phone,members,labour_capacity,category\n"
            }
        }
        print("households-csv: \(households) rows in \(files) files, \(inVillage) of them in \(village)")
    }

    /// `plans` plans in the village of `sheetVillage`, each over a receipt of
    /// its own, paying every household of the village's register (the
    /// priority ones under no_labour_households, the others under
    /// other_households), carried out today with a payment line each. Prints
    /// the plans' ids.
    static func paymentPlans(group: MultiThreadedEventLoopGroup, socket: String, plans: Int) throws {
        let (village, assetId) = try sheetVillage(group: group, socket: socket)
        var households: [Taizhang_Household_V1_Household] = []
        var token = ""
        repeat {
            let page = try Taizhang_Household_V1_ListHouseholdsResponse(serializedBytes: try call(group: group, socket: socket, RPC.Households.listHouseholds.path,
                try Taizhang_Household_V1_ListHouseholdsRequest.with { $0.adminCode = village; $0.pageSize = 1000; $0.pageToken = token }.serializedData()))
            households += page.households
            token = page.nextPageToken
        } while !token.isEmpty
        let shareFen: Int64 = 1_000
        let priority = households.filter { $0.labourCapacity == .none || $0.labourCapacity == .weak }
        let rest = households.filter { $0.labourCapacity == .full }
        let reserveFen = Int64(households.count) * 250
        let start = DispatchTime.now().uptimeNanoseconds
        let formatter = DateFormatter()
        (formatter.timeZone, formatter.dateFormat) = (TimeZone(identifier: "Asia/Shanghai"), "yyyy-MM-dd")
        let today = formatter.string(from: Date())
        var ids: [String] = []
        for number in 0..<plans {
            let income = try Taizhang_Ledger_V1_Income(serializedBytes: try call(group: group, socket: socket, RPC.Ledger.recordIncome.path,
                try Taizhang_Ledger_V1_RecordIncomeRequest.with {
                    $0.income.assetID = assetId; $0.income.amountFen = Int64(households.count) * shareFen + reserveFen
                    $0.income.receivedOn = today
                    $0.income.payer = "承包方"; $0.income.account = "村集体账户"; $0.income.note = "bench \(number)"
                }.serializedData()))
            func shares(_ group: [Taizhang_Household_V1_Household]) -> [Taizhang_Ledger_V1_HouseholdShare] {
                group.map { household in .with { $0.householdID = household.id; $0.amountFen = shareFen } }
            }
            var plan = try Taizhang_Ledger_V1_DistributionPlan(serializedBytes: try call(group: group, socket: socket, RPC.Ledger.createDistributionPlan.path,
                try Taizhang_Ledger_V1_CreateDistributionPlanRequest.with {
                    $0.plan.ownerCode = village; $0.plan.title = "收益分配方案（第\(number + 1)次）"; $0.plan.incomeIds = [income.id]
                    $0.plan.allocations = [
                        .with { $0.purpose = .noLabourHouseholds; $0.amountFen = Int64(priority.count) * shareFen; $0.households = shares(priority) },
                        .with { $0.purpose = .otherHouseholds; $0.amountFen = Int64(rest.count) * shareFen; $0.households = shares(rest) },
                        .with { $0.purpose = .reserve; $0.amountFen = reserveFen },
                    ]
                }.serializedData()))
            for stage in [Taizhang_Ledger_V1_PlanStage.planAssemblyPassed, .planPublished, .planTownshipApproved, .planFiled, .planCarriedOut] {
                var step = Taizhang_Ledger_V1_AdvanceDistributionPlanRequest.with { $0.planID = plan.id; $0.stage = stage; $0.expectedVersion = plan.version }
                if stage == .planAssemblyPassed {
                    let today = plan.steps.first?.date ?? ""
                    step.date = today
                    step.assembly = .with { $0.date = today; $0.representativesTotal = 35; $0.representativesPresent = 29; $0.poorHouseholdRepresentatives = 11 }
                }
                if stage == .planCarriedOut {
                    step.payments = plan.allocations.flatMap(\.households).enumerated().map { position, share in
                        .with {
                            $0.householdID = share.householdID; $0.amountFen = share.amountFen
                            if position % 2 == 0 { $0.method = .transfer; $0.transferReference = "NX\(number)-\(position)" } else {
                                $0.method = .cash; $0.signedSheetSha256 = String(repeating: "cd", count: 32)
                            }
                        }
                    }
                }
                plan = try Taizhang_Ledger_V1_DistributionPlan(serializedBytes: try call(group: group, socket: socket,
                                                                                          RPC.Ledger.advanceDistributionPlan.path, try step.serializedData()))
            }
            ids.append(plan.id)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "payment-plans: %d plans in %@ carried out, each paying %d households (%d priority), in %.2f s", plans, village,
                     households.count, priority.count, seconds))
        print("payment-plans: ids \(ids.joined(separator: " "))")
    }
}
