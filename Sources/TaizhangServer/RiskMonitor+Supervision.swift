// The monitor's side of the units' lights and the projects' books (issue
// 21): on every full run it records the judgement of every quarter judged
// by today that it has not recorded and whose year's targets were set by
// its judgement day, once (a recorded judgement stands);
// on every full run, and on a focused run
// after a change to a project's progress or a unit, it alerts on the units
// whose last judged light is yellow or red and on the completed projects
// whose books disagree with their assets (账账相符).

import Foundation
import TaizhangCore
import TaizhangStore

extension RiskScan {
    /// Assets of one project the books comparison reads.
    static let projectAssetsMax = 100_000

    /// Every responsible unit, and every project's progress (with its
    /// payments) by its unit.
    static func supervision(store: any LedgerStore, only: Set<String>? = nil) throws -> (units: [ResponsibleUnit], projects: [String: [String: ProjectProgress]]) {
        let units = try SupervisionReads.units(store).filter { only?.contains($0.id) ?? true }
        var projects: [String: [String: ProjectProgress]] = [:]
        for unit in units { projects[unit.id] = try SupervisionReads.projects(store, of: unit.id) }
        return (units, projects)
    }

    /// The unit_light and books_mismatch conditions that hold now: of
    /// every unit and project, or `only` of those named.
    static func supervisionConditions(store: any LedgerStore, rules: RiskRules,
                                      only: (units: Set<String>, projects: Set<String>)? = nil) throws -> [AlertCondition] {
        let (units, projects) = try supervision(store: store, only: only?.units)
        let lights = UnitLightRules(judgedDays: rules.configuration.unitLightJudgedDays, today: rules.today)
        var conditions = units.compactMap { lights.condition($0, projects: projects[$0.id] ?? [:]) }
        let books = BooksRules(toleranceFen: Int64(rules.configuration.booksToleranceFen))
        for progress in projects.values.flatMap(\.values).sorted(by: { $0.id < $1.id })
            where (progress.stage.map { $0 >= .completed } ?? false) && (only?.projects.contains(progress.id) ?? true) {
            let assets = try store.projectAssets(progress.id, limit: projectAssetsMax + 1)
            if assets.count > projectAssetsMax {
                DaemonLog.error("risk run: project \(progress.id) has more than \(projectAssetsMax) assets; its books are not compared")
                continue
            }
            if let condition = books.condition(progress, projectName: store.project(id: progress.id)?.name ?? progress.id, assets: assets) {
                conditions.append(condition)
            }
        }
        return conditions
    }
}

extension RiskMonitor {
    /// Judgements given to the ledger per mutation.
    static let judgementPiece = 500

    /// Records the judgement of every quarter judged by today that a unit
    /// has not had recorded and whose year's targets it had by the
    /// judgement day (`UnitLightRules.records`), oldest first (each reads
    /// the one before as recorded).
    func judgeUnits(into summary: inout MonitorRunSummary) {
        guard store.heldReason == nil else { return }
        let lights = UnitLightRules(judgedDays: current().unitLightJudgedDays, today: Timestamp.chinaDate(unixMillis: clock.nowUnixMillis()))
        do {
            let (units, projects) = try RiskScan.supervision(store: store)
            var judgements: [QuarterJudgement] = []
            for var unit in units {
                for year in unit.years.map(\.year) {
                    for number in 1...4 {
                        let quarter = Quarter(year: year, number: number)!
                        guard lights.records(unit, quarter) else { continue }
                        let judgement = lights.judge(unit, quarter, projects: projects[unit.id] ?? [:])
                        unit.judgements.append(judgement)
                        judgements.append(judgement)
                    }
                }
            }
            for start in stride(from: 0, to: judgements.count, by: Self.judgementPiece) {
                let piece = Array(judgements[start..<min(start + Self.judgementPiece, judgements.count)])
                _ = try submitChange(.stewardship(.judgeQuarters(piece)), "judge")
                summary.judged += piece.count
            }
        } catch {
            summary.error = "the units' quarters could not be judged: \(error)"
            DaemonLog.error("risk run: \(summary.error)")
        }
    }
}
