// The caller's scope is checked again when the change is applied: a record
// moved out of the scope after the server's check is not changed.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

struct ScopeAtCommitTests {
    static func scoped(_ method: String, _ codes: Set<String>) -> CallerContext {
        var caller = context(method)
        caller.scope = codes
        caller.scopeHolder = "baima-clerk (scope 421024101201)"
        return caller
    }

    @Test(arguments: Engine.allCases) func aRecordOutsideTheScope_isNotFound_aUnitOutsideIsPermissionDenied(engine: Engine) throws {
        let place = try StorePlace(engine)
                let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .createAdminUnit(AdminUnit(code: "421024101202", name: "新村", level: .village, parentCode: "421024101000")),
                   context("/taizhang.ledger.v1.Ledger/CreateAdminUnit"))
        let baima: Set<String> = ["421024101201"]
        guard case .success(.applied(.assets(let assets), _)) = submit(store, .registerAssets([sampleAsset(code: "A-1")], batch: false)) else {
            Issue.record("registration failed")
            return
        }
        let asset = assets[0]
        // In scope: applied.
        var note = asset
        note.note = "村内修改"
        guard case .success = submit(store, .updateAsset(note, expectedVersion: 0), Self.scoped("/taizhang.ledger.v1.Ledger/UpdateAsset", baima)) else {
            Issue.record("an in-scope change was refused")
            return
        }
        // Moving it elsewhere: the new unit is outside.
        var moved = note
        moved.adminCode = "421024101202"
        moved.owners[0].adminCode = "421024101201"
        let outside = try #require(submit(store, .updateAsset(moved, expectedVersion: 0), Self.scoped("/taizhang.ledger.v1.Ledger/UpdateAsset", baima)).failure)
        #expect(outside.code == .permissionDenied)
        #expect(outside.message.contains("421024101202"))
        // The county moves it (unscoped); the village clerk's next step, checked
        // on arrival before the move, finds nothing at commit.
        guard case .success = submit(store, .updateAsset(moved, expectedVersion: 0), context("/taizhang.ledger.v1.Ledger/UpdateAsset")) else {
            Issue.record("the county's move failed")
            return
        }
        let step = Mutation.lifecycle(assetId: asset.id, action: .confirmOwnership(owners: [], date: CivilDate("2024-01-31")!, overrideReason: "",
                                                                                  proposal: OwnershipProposal(owners: [], rule: "", explanation: "")),
                                      calendar: WorkingDayCalendar(years: []), policy: DepreciationPolicy(), contributions: [], expectedVersion: 0)
        let gone = try #require(submit(store, step, Self.scoped("/taizhang.ledger.v1.Ledger/ConfirmOwnership", baima)).failure)
        #expect(gone.code == .notFound)
        #expect(store.asset(id: asset.id)?.lifecycle.stage == .registered)
        // Owners outside the scope, on a new asset.
        var shared = sampleAsset(code: "A-2")
        shared.owners = [Owner(name: "新村股份经济合作社", kind: .villageCollective, adminCode: "421024101202", shareBasisPoints: 10_000)]
        let owners = try #require(submit(store, .registerAssets([shared], batch: false), Self.scoped("/taizhang.ledger.v1.Ledger/RegisterAsset", baima)).failure)
        #expect(owners.code == .permissionDenied)
        #expect(owners.message.contains("owner"))
        #expect(store.asset(id: "ZC00000002") == nil)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
