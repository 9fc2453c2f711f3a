// The committed ledger's records held in memory: admin units, and the
// counts and last numbers of the rest (projects, assets, entities,
// contracts, reports and stewardship records are read from the file;
// projects and assets through bounded caches, `ProjectCache` and
// `AssetCache`). Only the writer changes it, and only after the changes are
// durable.

import TaizhangCore

/// Everything committed, indexed for the reads the services make.
struct LedgerState: Sendable {
    var adminUnits: [String: AdminUnit] = [:]
    var childCodes: [String: [String]] = [:]
    var adminOrder: [String] = []
    /// Projects in the file (the writer counts those it adds; a project is
    /// never changed once created).
    var projectCount = 0
    /// Assets in the ledger (the writer counts those it adds).
    var assetCount = 0
    /// How many reports the file holds (they stay in the file).
    var reportCount = 0
    var auditHeadSeq: UInt64 = 0
    var auditHeadHash: String = AuditChain.genesisHash
    /// The newest signed head of the journal's Merkle tree, and its key.
    var treeHead: (head: SignedTreeHead, key: Ed25519PublicKey)?
    var lastAssetNumber: Int = 0
    /// Entities and contracts in the file (the writer counts those it adds).
    var entityCount = 0
    var contractCount = 0
    var lastEntityNumber: Int = 0
    var lastContractNumber: Int = 0
    /// Stewardship records in the file by kind, and the last number given out.
    var stewardshipCounts: [StewardshipKind: Int] = [:]
    var stewardshipNumbers: [StewardshipKind: Int] = [:]

    mutating func put(_ unit: AdminUnit) {
        if adminUnits.updateValue(unit, forKey: unit.code) == nil {
            LedgerState.insertSorted(unit.code, into: &adminOrder)
            if !unit.parentCode.isEmpty {
                childCodes[unit.parentCode, default: []].append(unit.code)
            }
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

    /// Takes in the entities and contracts a group wrote (the `added` of
    /// them new): only the numbers and the counts are kept here.
    mutating func took(entities: Dictionary<String, OperatingEntity>.Values, added: Int) {
        for entity in entities {
            if let number = OperationsIdentifiers.number(of: entity.id, prefix: "ZT") { lastEntityNumber = max(lastEntityNumber, number) }
        }
        entityCount += added
    }

    mutating func took(contracts: Dictionary<String, OperationContract>.Values, added: Int) {
        for contract in contracts {
            if let number = OperationsIdentifiers.number(of: contract.id, prefix: "HT") { lastContractNumber = max(lastContractNumber, number) }
        }
        contractCount += added
    }

    /// Takes in the stewardship records a group wrote (`added` of each kind new).
    mutating func took(stewardship records: Dictionary<String, StewardshipRecord>.Values, added: [StewardshipKind: Int]) {
        for record in records {
            if let number = OperationsIdentifiers.number(of: record.id, prefix: record.kind.idPrefix) {
                stewardshipNumbers[record.kind] = max(stewardshipNumbers[record.kind] ?? 0, number)
            }
        }
        for (kind, count) in added { stewardshipCounts[kind, default: 0] += count }
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
