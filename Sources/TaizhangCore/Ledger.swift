// The records of the ledger: admin units, projects and assets, as the domain
// sees them (DOMAIN.md "Administrative units" and "Assets").

/// County 县, township 乡(镇), village 村 (004 §18).
public enum AdminLevel: String, Sendable, Codable, CaseIterable {
    case county, township, village

    /// The level a child of this level has, if any.
    public var childLevel: AdminLevel? {
        switch self {
        case .county: return .township
        case .township: return .village
        case .village: return nil
        }
    }
}

/// An administrative unit that keeps a ledger.
public struct AdminUnit: Sendable, Hashable, Codable {
    /// The 12-digit statistical division code 统计用区划代码.
    public var code: String
    public var name: String
    public var level: AdminLevel
    /// Empty for the county.
    public var parentCode: String
    public var version: Int64

    /// A unit.
    public init(code: String, name: String, level: AdminLevel, parentCode: String, version: Int64 = 0) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
        self.version = version
    }
}

/// 004 §3, 001 二(二).
public enum AssetCategory: String, Sendable, Codable, CaseIterable {
    case publicWelfare = "public_welfare"
    case operating
    case household
}

/// 004 §2.
public enum AssetForm: String, Sendable, Codable, CaseIterable {
    case fixed, current, intangible, investment
}

/// 使用状况.
public enum UsageStatus: String, Sendable, Codable, CaseIterable {
    case inUse = "in_use"
    case idle
    case underConstruction = "under_construction"
    case damaged
}

/// 资金来源.
public enum FundingSource: String, Sendable, Codable, CaseIterable {
    case centralSpecial = "central_special"
    case integrated
    case relocation
    case localGovernmentDebt = "local_government_debt"
    case industry
    case financial
    case socialDonation = "social_donation"
    case localFiscal = "local_fiscal"
    case other
    /// 衔接推进乡村振兴补助资金 (衔接资金), the funds that followed the
    /// special poverty funds from 2021.
    case linkage
}

/// Who may own an asset.
public enum OwnerKind: String, Sendable, Codable, CaseIterable {
    case villageCollective = "village_collective"
    case townshipGovernment = "township_government"
    case countyGovernment = "county_government"
    case household
    case enterprise
    case cooperative
    case other
}

/// 承包, 租赁, 入股, 托管 (000 (八), 001 (六)), or run by the owner.
public enum OperationMode: String, Sendable, Codable, CaseIterable {
    case selfOperated = "self_operated"
    case contracting, lease, equity, entrusted
}

/// One funding source and its amount, in fen.
public struct Funding: Sendable, Hashable, Codable {
    public var source: FundingSource
    public var amountFen: Int64

    /// A funding line.
    public init(source: FundingSource, amountFen: Int64) {
        self.source = source
        self.amountFen = amountFen
    }
}

/// A poverty-alleviation project 扶贫项目.
public struct Project: Sendable, Hashable, Codable {
    /// The county's project number, unique.
    public var id: String
    public var name: String
    public var year: Int
    public var implementingUnit: String
    public var adminCode: String
    public var funding: [Funding]
    public var version: Int64

    /// A project.
    public init(id: String, name: String, year: Int, implementingUnit: String, adminCode: String,
                funding: [Funding], version: Int64 = 0) {
        self.id = id
        self.name = name
        self.year = year
        self.implementingUnit = implementingUnit
        self.adminCode = adminCode
        self.funding = funding
        self.version = version
    }
}

/// An owner 所有权人 and its share in basis points (10,000 = 100%).
public struct Owner: Sendable, Hashable, Codable {
    public var name: String
    public var kind: OwnerKind
    public var adminCode: String
    public var shareBasisPoints: Int
    /// For a household owner, the household of the beneficiary register
    /// (HH…, issue 23) that owns and upkeeps the asset (004 §14); "" when
    /// the household is named by text only.
    public var householdId: String

    /// An owner.
    public init(name: String, kind: OwnerKind, adminCode: String, shareBasisPoints: Int, householdId: String = "") {
        self.name = name
        self.kind = kind
        self.adminCode = adminCode
        self.shareBasisPoints = shareBasisPoints
        self.householdId = householdId
    }

    private enum CodingKeys: String, CodingKey { case name, kind, adminCode, shareBasisPoints, householdId }

    /// Owners written before the register have no `householdId`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(OwnerKind.self, forKey: .kind)
        adminCode = try container.decode(String.self, forKey: .adminCode)
        shareBasisPoints = try container.decode(Int.self, forKey: .shareBasisPoints)
        householdId = try container.decodeIfPresent(String.self, forKey: .householdId) ?? ""
    }

    /// `householdId` only when there is one, so owners written before it keep their bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(adminCode, forKey: .adminCode)
        try container.encode(shareBasisPoints, forKey: .shareBasisPoints)
        if !householdId.isEmpty { try container.encode(householdId, forKey: .householdId) }
    }
}

/// Custodian and upkeep 管护.
public struct Custody: Sendable, Hashable, Codable {
    public var custodian: String
    public var responsiblePerson: String
    public var contact: String
    public var upkeepFunding: String

    /// Custody details; all optional.
    public init(custodian: String = "", responsiblePerson: String = "", contact: String = "", upkeepFunding: String = "") {
        self.custodian = custodian
        self.responsiblePerson = responsiblePerson
        self.contact = contact
        self.upkeepFunding = upkeepFunding
    }
}

/// How the asset is operated, when contracted, leased or invested.
public struct Operation: Sendable, Hashable, Codable {
    public var mode: OperationMode
    public var counterparty: String
    public var annualFeeFen: Int64
    public var termStart: CivilDate?
    public var termEnd: CivilDate?

    /// An operation arrangement.
    public init(mode: OperationMode, counterparty: String, annualFeeFen: Int64, termStart: CivilDate?, termEnd: CivilDate?) {
        self.mode = mode
        self.counterparty = counterparty
        self.annualFeeFen = annualFeeFen
        self.termStart = termStart
        self.termEnd = termEnd
    }
}

/// A file of the asset's dossier 一项一档, kept by its SHA-256.
public struct Document: Sendable, Hashable, Codable {
    public var name: String
    public var kind: String
    public var sha256: String

    /// A document reference.
    public init(name: String, kind: String, sha256: String) {
        self.name = name
        self.kind = kind
        self.sha256 = sha256
    }
}

/// Map coordinates (WGS 84 degrees).
public struct Coordinates: Sendable, Hashable, Codable {
    public var latitude: Double
    public var longitude: Double

    /// A point.
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// One asset's ledger record (000 §七, 002 Rizhao, 004 §18 附件2).
public struct Asset: Sendable, Hashable, Codable {
    /// Assigned by the store on registration, e.g. "ZC00000001".
    public var id: String
    /// The county's own asset number; unique when not empty.
    public var code: String
    public var name: String
    public var category: AssetCategory
    public var subType: String
    public var form: AssetForm
    public var projectId: String
    /// The admin unit the asset lies in.
    public var adminCode: String
    public var acquiredDate: CivilDate
    public var usefulLifeYears: Int
    public var usageStatus: UsageStatus
    /// Decimal with up to 3 places, as text ("2.5").
    public var quantity: String
    public var unit: String
    public var originalValueFen: Int64
    public var funding: [Funding]
    public var accumulatedDepreciationFen: Int64
    public var owners: [Owner]
    public var user: String
    public var beneficiary: String
    public var custody: Custody
    public var supervisingDepartment: String
    public var operation: Operation?
    public var documents: [Document]
    public var coordinates: Coordinates?
    public var note: String
    /// A pledge or mortgage 抵押/质押 found on the asset (e.g. at the
    /// inventory), described; empty when none. The system never creates one
    /// (000 (九)1 forbids them); it refuses disposal while one is recorded,
    /// and UpdateAsset clears it once released.
    public var encumbrance: String
    /// Stage and dated record of the life cycle; changed only by its own calls.
    public var lifecycle: Lifecycle
    public var version: Int64
    /// RFC 3339, UTC.
    public var createdAt: String
    /// RFC 3339, UTC.
    public var updatedAt: String

    /// Original value less accumulated depreciation.
    public var netValueFen: Int64 { originalValueFen - accumulatedDepreciationFen }

    /// An asset; the store fills `id`, `version` and the timestamps.
    public init(id: String = "", code: String = "", name: String, category: AssetCategory, subType: String = "",
                form: AssetForm = .fixed, projectId: String, adminCode: String, acquiredDate: CivilDate,
                usefulLifeYears: Int, usageStatus: UsageStatus = .inUse, quantity: String = "1", unit: String = "",
                originalValueFen: Int64, funding: [Funding], accumulatedDepreciationFen: Int64 = 0,
                owners: [Owner], user: String = "", beneficiary: String = "", custody: Custody = Custody(),
                supervisingDepartment: String = "", operation: Operation? = nil, documents: [Document] = [],
                coordinates: Coordinates? = nil, note: String = "", encumbrance: String = "", lifecycle: Lifecycle = Lifecycle(), version: Int64 = 0,
                createdAt: String = "", updatedAt: String = "") {
        self.id = id
        self.code = code
        self.name = name
        self.category = category
        self.subType = subType
        self.form = form
        self.projectId = projectId
        self.adminCode = adminCode
        self.acquiredDate = acquiredDate
        self.usefulLifeYears = usefulLifeYears
        self.usageStatus = usageStatus
        self.quantity = quantity
        self.unit = unit
        self.originalValueFen = originalValueFen
        self.funding = funding
        self.accumulatedDepreciationFen = accumulatedDepreciationFen
        self.owners = owners
        self.user = user
        self.beneficiary = beneficiary
        self.custody = custody
        self.supervisingDepartment = supervisingDepartment
        self.operation = operation
        self.documents = documents
        self.coordinates = coordinates
        self.note = note
        self.encumbrance = encumbrance
        self.lifecycle = lifecycle
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Asset identifiers: "ZC" and eight or more digits.
public enum AssetIdentifiers {
    /// The identifier of the `number`th asset.
    public static func make(_ number: Int) -> String {
        let digits = String(number)
        return "ZC" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The number inside an identifier, or nil.
    public static func number(of id: String) -> Int? {
        guard id.hasPrefix("ZC") else { return nil }
        return Int(id.dropFirst(2))
    }
}
