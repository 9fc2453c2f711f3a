// taizhang-bench --scenario supervision (issue 21): a county's responsible
// units, each with its projects, each project approved, funded, paid many
// times over last year's four quarters and taken to started; the units'
// targets; then what the supervision reads cost: the full risk run (which
// judges every unit's quarters and compares every completed project's
// books), RankUnits, GetUnitLights and ListUnits.

import Foundation
import NIOPosix
import SwiftProtobuf
import TaizhangProto

extension Bench {
    static func supervision(group: MultiThreadedEventLoopGroup, socket: String, units: Int, projects: Int, payments: Int) throws {
        func phase(_ name: String, _ method: String, _ payloads: [Data], depth: Int = 64) throws {
            let result = try run(group: group, socket: socket, connections: 1, depth: depth, seconds: 3600, method: method,
                                 maxCalls: UInt64(payloads.count)) { payloads[Int($0)] }
            print(String(format: "supervision: %@ %d calls, %d failed, %.2f s (%.0f/s)", name, result.completed, result.failed, result.elapsedSeconds,
                         Double(result.completed) / max(result.elapsedSeconds, 1e-9)))
            if result.failed > 0 { exit(1) }
        }
        let (admin, _) = try riskUnits()
        try phase("admin units", RPC.Ledger.createAdminUnit.path, admin, depth: 1)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let year = calendar.component(.year, from: Date()) - 1
        let places = (0..<units).map { $0 < 10 ? "421024\(100 + $0)000" : "421024000000" }
        try phase("units", RPC.Supervision.registerUnit.path, try places.enumerated().map { index, code in
            try Taizhang_Supervision_V1_RegisterUnitRequest.with {
                $0.unit.name = index < 10 ? "镇\(index)人民政府" : "县直部门\(index)"; $0.unit.kind = index < 10 ? .township : .department
                $0.unit.adminCode = code; $0.unit.head = "负责人\(index)"
            }.serializedData()
        })
        let ids = (0..<units * projects).map { "SB-\(year)-\(String(format: "%05d", $0))" }
        let unitOf = { (project: Int) in String(format: "DW%08d", project / projects + 1) }
        let codeOf = { (project: Int) in places[project / projects] == "421024000000" ? "421024\(100 + project % 10)000" : places[project / projects] }
        let document = Taizhang_Ledger_V1_Document.with { $0.name = "文件"; $0.kind = "other"; $0.sha256 = String(repeating: "ab", count: 32) }
        try phase("projects", RPC.Ledger.createProject.path, try ids.enumerated().map { index, id in
            try Taizhang_Ledger_V1_CreateProjectRequest.with {
                $0.project.id = id; $0.project.name = "项目\(index)"; $0.project.year = Int32(year); $0.project.implementingUnit = "单位"; $0.project.adminCode = codeOf(index)
            }.serializedData()
        })
        func milestone(_ milestone: Taizhang_Supervision_V1_Milestone, _ date: String) throws -> [Data] {
            try ids.enumerated().map { index, id in
                try Taizhang_Supervision_V1_RecordMilestoneRequest.with {
                    $0.projectID = id; $0.milestone = milestone; $0.date = date; $0.document = document; $0.unitID = milestone == .approved ? unitOf(index) : ""
                }.serializedData()
            }
        }
        try phase("approvals", RPC.Supervision.recordMilestone.path, try milestone(.approved, "\(year)-01-05"))
        try phase("allocations", RPC.Supervision.recordAllocation.path, try ids.map { id in
            try Taizhang_Supervision_V1_RecordAllocationRequest.with {
                $0.projectID = id
                $0.allocation = .with { $0.year = Int32(year); $0.source = .linkage; $0.level = .central; $0.amountFen = 1_000_000_000; $0.date = "\(year)-01-10"; $0.document = document }
            }.serializedData()
        })
        for (milestone, date) in [(Taizhang_Supervision_V1_Milestone.tendered, "\(year)-02-01"), (.contractSigned, "\(year)-02-20"), (.started, "\(year)-03-10")] {
            try phase("\(milestone)", RPC.Supervision.recordMilestone.path, try self.milestoneCalls(ids, milestone, date, document))
        }
        var paid: [Data] = []
        for (index, id) in ids.enumerated() {
            for number in 0..<payments {
                // Spread over the year; a unit's share grows with its number (some units meet their targets, some do not).
                let month = number * 12 / payments + 1
                paid.append(try Taizhang_Supervision_V1_RecordDisbursementRequest.with {
                    $0.projectID = id
                    $0.disbursement = .with {
                        $0.source = .linkage; $0.level = .central; $0.amountFen = Int64(100_000 + (index / projects) * 1_000); $0.payee = "施工单位"
                        $0.date = String(format: "%04d-%02d-%02d", year, month, number % 18 + 10); $0.document = document
                    }
                }.serializedData())
            }
        }
        try phase("payments", RPC.Supervision.recordDisbursement.path, paid)
        // Each quarter's target: what a middle unit pays in it.
        let quarterTarget = Int64(projects * payments / 4) * Int64(100_000 + units / 2 * 1_000)
        try phase("targets", RPC.Supervision.setUnitTargets.path, try (0..<units).map { unit in
            try Taizhang_Supervision_V1_SetUnitTargetsRequest.with { request in
                request.unitID = String(format: "DW%08d", unit + 1); request.year = Int32(year); request.date = "\(year)-01-05"
                request.quarters = (0..<4).map { _ in .with { $0.spendFen = quarterTarget } }
            }.serializedData()
        }, depth: 1)
        try supervisionReads(group: group, socket: socket, year: year, units: units)
    }

    static func milestoneCalls(_ ids: [String], _ milestone: Taizhang_Supervision_V1_Milestone, _ date: String,
                               _ document: Taizhang_Ledger_V1_Document) throws -> [Data] {
        try ids.map { id in
            try Taizhang_Supervision_V1_RecordMilestoneRequest.with { $0.projectID = id; $0.milestone = milestone; $0.date = date; $0.document = document }.serializedData()
        }
    }

    /// The reads' latencies, each repeated.
    static func supervisionReads(group: MultiThreadedEventLoopGroup, socket: String, year: Int, units: Int) throws {
        func timed(_ name: String, _ method: String, _ payload: Data, times: Int) throws {
            var millis: [Double] = []
            for _ in 0..<times {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try call(group: group, socket: socket, method, payload)
                millis.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            millis.sort()
            print(String(format: "supervision: %@ ×%d: median %.1f ms, max %.1f ms", name, times, millis[millis.count / 2], millis.last!))
        }
        try timed("full risk run (RunMonitor)", RPC.Risk.runMonitor.path, Data(), times: 3)
        let rank = try Taizhang_Supervision_V1_RankUnitsRequest.with { $0.quarter = "\(year)Q3" }.serializedData()
        try timed("RankUnits", RPC.Supervision.rankUnits.path, rank, times: 10)
        let lights = try Taizhang_Supervision_V1_GetUnitLightsRequest.with { $0.unitID = String(format: "DW%08d", units / 2); $0.year = Int32(year) }.serializedData()
        try timed("GetUnitLights", RPC.Supervision.getUnitLights.path, lights, times: 10)
        try timed("ListUnits", RPC.Supervision.listUnits.path, Data(), times: 10)
        let ranked = try Taizhang_Supervision_V1_RankUnitsResponse(serializedBytes: try call(group: group, socket: socket, RPC.Supervision.rankUnits.path, rank))
        let lit = Dictionary(grouping: ranked.ranks, by: { $0.light.lightZh }).mapValues(\.count)
        print("supervision: \(year)Q3 ranked \(ranked.unitsRanked) units: \(lit.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }
}
