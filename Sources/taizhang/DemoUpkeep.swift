// taizhang demo load, households' assets and the upkeep log (issue 23): each
// household asset names a household of the register of its village as its
// owner and upkeeper, and the village supervises its use; public-welfare
// assets are inspected and some repaired, operating ones maintained. Every
// date is today or before and not before the asset was acquired.

import TaizhangClient
import TaizhangCore
import TaizhangDemo
import TaizhangProto

extension DemoCommand.Load {
    /// Each household asset's owner and upkeeper made a household of the
    /// register in its village (round robin); how many were linked.
    func linkHouseholdAssets(_ client: TaizhangClient, demo: DemoCounty, assetIds: [String],
                             households: [String: [(id: String, head: String)]]) async throws -> [Int: String] {
        var linked: [Int: String] = [:]
        var next: [String: Int] = [:]
        for (index, asset) in demo.assets.enumerated() where asset.category == .household {
            guard let register = households[asset.adminCode], !register.isEmpty else { continue }
            let pick = register[next[asset.adminCode, default: 0] % register.count]
            next[asset.adminCode, default: 0] += 1
            var current = try await global.call(client, RPC.Ledger.getAsset, .with { $0.id = assetIds[index] })
            current.owners = [.with { $0.name = pick.head; $0.kind = .householdOwner; $0.shareBp = 10_000; $0.householdID = pick.id }]
            (current.user, current.beneficiary, current.custody.custodian) = (pick.head, pick.head, pick.head)
            let update = Taizhang_Ledger_V1_UpdateAssetRequest.with { $0.asset = current; $0.expectedVersion = current.version }
            _ = try await global.call(client, RPC.Ledger.updateAsset, update, idempotencyKey: "demo-household-asset-\(index)")
            linked[index] = pick.id
        }
        return linked
    }

    /// The upkeep log: the first 40 public-welfare assets inspected two
    /// months ago, every fourth of them repaired a month ago; the first ten
    /// operating ones maintained; each linked household asset supervised by
    /// its village. Assets `skip` names (disposed of) are passed over.
    func loadUpkeep(_ client: TaizhangClient, demo: DemoCounty, assetIds: [String], linked: [Int: String], skip: Set<String>) async throws -> Int {
        let today = ChinaDate.today
        func day(_ offset: Int, for asset: Taizhang_Ledger_V1_Asset) -> String { max(DemoCounty.add(days: offset, toDate: today), asset.acquiredDate) }
        var records: [(Int, Taizhang_Ledger_V1_Upkeep)] = []
        let welfare = demo.assets.indices.filter { demo.assets[$0].category == .publicWelfare && !skip.contains(assetIds[$0]) }.prefix(40)
        for (number, index) in welfare.enumerated() {
            let asset = demo.assets[index]
            records.append((index, .with {
                $0.kind = .upkeepInspection; $0.date = day(-60, for: asset); $0.performedBy = "村公益岗 管护员"
                $0.description_p = "汛前巡查：\(asset.name)运行正常，无破损"
            }))
            if number % 4 == 0 {
                records.append((index, .with {
                    $0.kind = .upkeepRepair; $0.date = day(-30, for: asset); $0.costFen = Int64(50_000 + number * 12_345)
                    $0.performedBy = "县水利工程维修队"; $0.description_p = "修补破损部位，更换老化部件"
                    $0.documents = [.with { $0.name = "维修发票"; $0.kind = "invoice"; $0.sha256 = String(repeating: "ab", count: 32) }]
                }))
            }
        }
        let operating = demo.assets.indices.filter { demo.assets[$0].category == .operating && !skip.contains(assetIds[$0]) }.prefix(10)
        for index in operating {
            records.append((index, .with {
                $0.kind = .upkeepMaintenance; $0.date = day(-45, for: demo.assets[index]); $0.costFen = 80_000
                $0.performedBy = "经营主体"; $0.description_p = "设备例行保养，清洁消毒"
            }))
        }
        for index in linked.keys.sorted() where !skip.contains(assetIds[index]) {
            records.append((index, .with {
                $0.kind = .upkeepSupervision; $0.date = day(-20, for: demo.assets[index]); $0.performedBy = "村民委员会"
                $0.description_p = "入户查看到户资产使用情况：正常使用，未变卖、未闲置"
            }))
        }
        for (number, (index, record)) in records.enumerated() {
            var request = Taizhang_Ledger_V1_RecordUpkeepRequest()
            request.upkeep = record
            request.upkeep.assetID = assetIds[index]
            _ = try await global.call(client, RPC.Ledger.recordUpkeep, request, idempotencyKey: "demo-upkeep-\(number)")
        }
        return records.count
    }
}
