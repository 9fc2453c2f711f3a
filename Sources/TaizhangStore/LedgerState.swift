// The committed ledger's records held in memory (all but the assets, which
// are read from the file through a bounded cache: `AssetCache`). Only the
// writer changes it, and only after the changes are durable.

import TaizhangCore

/// Everything committed, indexed for the reads the services make.
struct LedgerState: Sendable {
    var adminUnits: [String: AdminUnit] = [:]
    var childCodes: [String: [String]] = [:]
    var adminOrder: [String] = []
    var projects: [String: Project] = [:]
    var projectOrder: [String] = []
    /// Assets in the ledger (the writer counts those it adds).
    var assetCount = 0
    /// How many reports the file holds (they stay in the file).
    var reportCount = 0
    var auditHeadSeq: UInt64 = 0
    var auditHeadHash: String = AuditChain.genesisHash
    var lastAssetNumber: Int = 0
    var operations = OperationsSnapshot()
    var entityIdsByCreditCode: [String: String] = [:]
    var lastEntityNumber: Int = 0
    var lastContractNumber: Int = 0
    var stewardship = StewardshipSnapshot()

    mutating func put(_ unit: AdminUnit) {
        if adminUnits.updateValue(unit, forKey: unit.code) == nil {
            LedgerState.insertSorted(unit.code, into: &adminOrder)
            if !unit.parentCode.isEmpty {
                childCodes[unit.parentCode, default: []].append(unit.code)
            }
        }
    }

    mutating func put(_ project: Project) {
        if projects.updateValue(project, forKey: project.id) == nil {
            LedgerState.insertSorted(project.id, into: &projectOrder)
        }
    }

    /// Takes in the assets a group wrote (`added` of them new): only the
    /// numbers and the count are kept here.
    mutating func took(_ assets: Dictionary<String, Asset>.Values, added: Int) {
        for asset in assets {
            if let number = AssetIdentifiers.number(of: asset.id) { lastAssetNumber = max(lastAssetNumber, number) }
        }
        assetCount += added
    }

    mutating func put(_ entity: OperatingEntity) {
        let previous = operations.entities.updateValue(entity, forKey: entity.id)
        if let previous {
            if !previous.creditCode.isEmpty, entityIdsByCreditCode[previous.creditCode] == entity.id {
                entityIdsByCreditCode[previous.creditCode] = nil
            }
        } else {
            LedgerState.insertSorted(entity.id, into: &operations.entityOrder)
            if let number = OperationsIdentifiers.number(of: entity.id, prefix: "ZT") { lastEntityNumber = max(lastEntityNumber, number) }
        }
        if !entity.creditCode.isEmpty { entityIdsByCreditCode[entity.creditCode] = entity.id }
    }

    mutating func put(_ contract: OperationContract) {
        let previous = operations.contracts.updateValue(contract, forKey: contract.id)
        if let previous {
            if previous.entityId != contract.entityId {
                operations.contractsByEntity[previous.entityId]?.removeAll { $0 == contract.id }
                operations.contractsByEntity[contract.entityId, default: []].append(contract.id)
            }
        } else {
            LedgerState.insertSorted(contract.id, into: &operations.contractOrder)
            operations.contractsByEntity[contract.entityId, default: []].append(contract.id)
            operations.contractsByAsset[contract.assetId, default: []].append(contract.id)
            if let number = OperationsIdentifiers.number(of: contract.id, prefix: "HT") { lastContractNumber = max(lastContractNumber, number) }
        }
    }

    /// The code and every code below it.
    func subtree(of code: String) -> Set<String> {
        var result: Set<String> = [code]
        var stack = [code]
        while let next = stack.popLast() {
            for child in childCodes[next] ?? [] where result.insert(child).inserted {
                stack.append(child)
            }
        }
        return result
    }

    /// Inserts into an ascending array; appending is the common case.
    static func insertSorted(_ key: String, into keys: inout [String]) {
        if let last = keys.last, last >= key {
            var low = 0
            var high = keys.count
            while low < high {
                let mid = (low + high) / 2
                if keys[mid] < key { low = mid + 1 } else { high = mid }
            }
            keys.insert(key, at: low)
        } else {
            keys.append(key)
        }
    }

    /// The index of the first key greater than `after` (0 when nil).
    static func start(after: String?, in keys: [String]) -> Int {
        guard let after else { return 0 }
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if keys[mid] <= after { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
