// The validation rules of the ledger's records, as pure functions. Each
// returns every violation at once, with field paths relative to the record.

/// Limits on the sizes of a record's parts ("put a limit on everything").
public enum RecordLimits {
    /// Longest free-text field, in UTF-8 bytes (500 Chinese characters).
    /// Bytes, not characters: a character can carry any number of combining
    /// marks, so only a byte limit bounds what is stored.
    public static let textMaxBytes = 1500
    /// Most funding lines on one record.
    public static let fundingMaxCount = 20
    /// Most owners of one asset.
    public static let ownersMaxCount = 100
    /// Most documents in one asset's dossier.
    public static let documentsMaxCount = 200
    /// Largest money amount accepted, in fen (10^15 fen = 10 trillion yuan).
    public static let amountMaxFen: Int64 = 1_000_000_000_000_000
    /// Longest useful life, in years.
    public static let usefulLifeMaxYears = 100
    /// Basis points that make 100%.
    public static let fullShareBasisPoints = 10_000
    /// Most objections one notice keeps.
    public static let objectionsMaxCount = 200
    /// Most valuation events of one asset.
    public static let valuationsMaxCount = 500
}

/// Rules on admin units.
public enum AdminUnitRules {
    /// Whether `code` is a 12-digit statistical division code.
    public static func isDivisionCode(_ code: String) -> Bool {
        code.utf8.count == 12 && code.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The unit's own fields.
    public static func validate(_ unit: AdminUnit) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if !isDivisionCode(unit.code) {
            bad.append(.init(field: "code", description: "must be the 12-digit statistical division code (统计用区划代码), e.g. 421087000000"))
        }
        bad += TextRules.required(unit.name, field: "name")
        if unit.level == .county {
            if !unit.parentCode.isEmpty {
                bad.append(.init(field: "parent_code", description: "a county has no parent here; leave it empty"))
            }
        } else if !isDivisionCode(unit.parentCode) {
            bad.append(.init(field: "parent_code", description: "a \(unit.level.rawValue) needs the 12-digit code of its parent unit"))
        }
        return bad
    }

    /// The unit against its parent (nil when the parent does not exist).
    public static func validateParent(_ unit: AdminUnit, parent: AdminUnit?) -> [FieldViolation] {
        guard unit.level != .county else { return [] }
        guard let parent else {
            return [.init(field: "parent_code", description: "no admin unit \(unit.parentCode) exists; create the parent first")]
        }
        if parent.level.childLevel != unit.level {
            return [.init(field: "level", description: "a \(unit.level.rawValue) cannot sit under the \(parent.level.rawValue) \(parent.code); townships sit under the county, villages under townships")]
        }
        return []
    }
}

/// Rules on free text.
public enum TextRules {
    /// A required text field: not blank, not too long.
    public static func required(_ text: String, field: String) -> [FieldViolation] {
        if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            return [.init(field: field, description: "is required")]
        }
        return optional(text, field: field)
    }

    /// An optional text field: not too long.
    public static func optional(_ text: String, field: String, maxBytes: Int = RecordLimits.textMaxBytes) -> [FieldViolation] {
        if text.utf8.count > maxBytes {
            return [.init(field: field, description: "is \(text.utf8.count) bytes of UTF-8; at most \(maxBytes) are allowed (about \(maxBytes / 3) Chinese characters)")]
        }
        return []
    }
}

extension String {
    /// The longest prefix of whole Unicode scalars within `maxBytes` of UTF-8.
    public func truncatedUTF8(maxBytes: Int) -> String {
        if utf8.count <= maxBytes { return self }
        var bytes = 0
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            let size = String(scalar).utf8.count
            if bytes + size > maxBytes { break }
            bytes += size
            scalars.append(scalar)
        }
        return String(scalars)
    }
}

/// Rules on funding lines.
public enum FundingRules {
    /// Each line non-negative and under the cap; no source twice; at most the limit.
    public static func validateLines(_ funding: [Funding], field: String) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if funding.count > RecordLimits.fundingMaxCount {
            bad.append(.init(field: field, description: "has \(funding.count) lines; at most \(RecordLimits.fundingMaxCount) are allowed"))
        }
        var seen: Set<FundingSource> = []
        for (index, line) in funding.enumerated() {
            if line.amountFen < 0 {
                bad.append(.init(field: "\(field)[\(index)].amount_fen", description: "must not be negative (got \(line.amountFen))"))
            } else if line.amountFen > RecordLimits.amountMaxFen {
                bad.append(.init(field: "\(field)[\(index)].amount_fen", description: "exceeds the largest amount accepted, \(RecordLimits.amountMaxFen) fen"))
            }
            if !seen.insert(line.source).inserted {
                bad.append(.init(field: "\(field)[\(index)].source", description: "\(line.source.rawValue) appears more than once; put its amounts on one line"))
            }
        }
        return bad
    }

    /// The exact sum of the lines, or nil on overflow.
    public static func total(_ funding: [Funding]) -> Int64? {
        var sum: Int64 = 0
        for line in funding {
            let (next, overflow) = sum.addingReportingOverflow(line.amountFen)
            if overflow { return nil }
            sum = next
        }
        return sum
    }
}

/// Rules on projects.
public enum ProjectRules {
    /// The project's own fields.
    public static func validate(_ project: Project) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        bad += TextRules.required(project.id, field: "id")
        bad += TextRules.optional(project.id, field: "id", maxBytes: 64)
        bad += TextRules.required(project.name, field: "name")
        bad += TextRules.optional(project.implementingUnit, field: "implementing_unit")
        if !(1990...2100).contains(project.year) {
            bad.append(.init(field: "year", description: "must be a year between 1990 and 2100 (got \(project.year))"))
        }
        if !AdminUnitRules.isDivisionCode(project.adminCode) {
            bad.append(.init(field: "admin_code", description: "must be the 12-digit code of an existing admin unit"))
        }
        bad += FundingRules.validateLines(project.funding, field: "funding")
        return bad
    }
}

/// Rules on assets (000 §七, 004 §12, §18).
public enum AssetRules {
    /// The asset's own fields, everything that needs no other record.
    public static func validate(_ asset: Asset) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        bad += TextRules.required(asset.name, field: "name")
        bad += TextRules.optional(asset.subType, field: "sub_type")
        bad += TextRules.optional(asset.unit, field: "unit")
        bad += TextRules.optional(asset.user, field: "user")
        bad += TextRules.optional(asset.beneficiary, field: "beneficiary")
        bad += TextRules.optional(asset.supervisingDepartment, field: "supervising_department")
        bad += TextRules.optional(asset.note, field: "note")
        bad += TextRules.optional(asset.encumbrance, field: "encumbrance")
        bad += TextRules.optional(asset.custody.custodian, field: "custody.custodian")
        bad += TextRules.optional(asset.custody.responsiblePerson, field: "custody.responsible_person")
        bad += TextRules.optional(asset.custody.contact, field: "custody.contact")
        bad += TextRules.optional(asset.custody.upkeepFunding, field: "custody.upkeep_funding")
        bad += TextRules.optional(asset.quantity, field: "quantity", maxBytes: 32)
        bad += TextRules.optional(asset.code, field: "code", maxBytes: 64)
        if asset.projectId.isEmpty {
            bad.append(.init(field: "project_id", description: "is required: the project the asset was formed by"))
        }
        if !AdminUnitRules.isDivisionCode(asset.adminCode) {
            bad.append(.init(field: "admin_code", description: "must be the 12-digit code of the admin unit the asset lies in"))
        }
        if !(0...RecordLimits.usefulLifeMaxYears).contains(asset.usefulLifeYears) {
            bad.append(.init(field: "useful_life_years", description: "must be between 0 and \(RecordLimits.usefulLifeMaxYears) years"))
        }
        if let problem = QuantityRules.problem(asset.quantity) {
            bad.append(.init(field: "quantity", description: problem))
        }
        bad += validateMoney(asset)
        bad += validateRegisteredOwners(asset.owners)
        bad += validateDocuments(asset.documents)
        if let operation = asset.operation {
            bad += validateOperation(operation)
        }
        if let point = asset.coordinates {
            if !(-90.0...90.0).contains(point.latitude) {
                bad.append(.init(field: "coordinates.latitude", description: "must be between -90 and 90 degrees"))
            }
            if !(-180.0...180.0).contains(point.longitude) {
                bad.append(.init(field: "coordinates.longitude", description: "must be between -180 and 180 degrees"))
            }
        }
        return bad
    }

    /// The asset against the records it names (nil: that record does not exist).
    public static func validateReferences(_ asset: Asset, adminUnit: AdminUnit?, project: Project?) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if AdminUnitRules.isDivisionCode(asset.adminCode), adminUnit == nil {
            bad.append(.init(field: "admin_code", description: "no admin unit \(asset.adminCode) exists; create it first or correct the code"))
        }
        if !asset.projectId.isEmpty, project == nil {
            bad.append(.init(field: "project_id", description: "no project \(asset.projectId) exists; create it first or correct the id"))
        }
        return bad
    }

    /// Original value, funding composition (must add up to the original value)
    /// and accumulated depreciation.
    static func validateMoney(_ asset: Asset) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if asset.originalValueFen < 0 {
            bad.append(.init(field: "original_value_fen", description: "must not be negative (got \(asset.originalValueFen))"))
        } else if asset.originalValueFen > RecordLimits.amountMaxFen {
            bad.append(.init(field: "original_value_fen", description: "exceeds the largest amount accepted, \(RecordLimits.amountMaxFen) fen"))
        }
        if asset.funding.isEmpty {
            bad.append(.init(field: "funding", description: "is required: list each funding source and its amount (资金来源构成)"))
        } else {
            let lines = FundingRules.validateLines(asset.funding, field: "funding")
            bad += lines
            if lines.isEmpty, let total = FundingRules.total(asset.funding), total != asset.originalValueFen {
                bad.append(.init(field: "funding", description: "amounts add up to \(total) fen but the original value is \(asset.originalValueFen) fen; they must be equal"))
            }
        }
        if asset.accumulatedDepreciationFen < 0 {
            bad.append(.init(field: "accumulated_depreciation_fen", description: "must not be negative"))
        } else if asset.accumulatedDepreciationFen > max(asset.originalValueFen, 0) {
            bad.append(.init(field: "accumulated_depreciation_fen", description: "must not exceed the original value (\(asset.originalValueFen) fen)"))
        }
        return bad
    }

    /// Owners: named, positive shares adding up to exactly 100% (004 §12, 001 (四)).
    static func validateOwners(_ owners: [Owner], field: String = "owners") -> [FieldViolation] {
        if owners.isEmpty {
            return [.init(field: field, description: "is required: every owner and its share must be explicit (001 (四))")]
        }
        return validateOwnerList(owners, field: field)
    }

    /// Owners given at registration: optional (ConfirmOwnership settles
    /// them), but when given, valid.
    static func validateRegisteredOwners(_ owners: [Owner]) -> [FieldViolation] {
        owners.isEmpty ? [] : validateOwnerList(owners)
    }

    static func validateOwnerList(_ owners: [Owner], field: String = "owners") -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if owners.count > RecordLimits.ownersMaxCount {
            bad.append(.init(field: field, description: "has \(owners.count) owners; at most \(RecordLimits.ownersMaxCount) are allowed"))
        }
        var sum = 0
        var sharesValid = true
        for (index, owner) in owners.enumerated() {
            bad += TextRules.required(owner.name, field: "\(field)[\(index)].name")
            if !owner.adminCode.isEmpty, !AdminUnitRules.isDivisionCode(owner.adminCode) {
                bad.append(.init(field: "\(field)[\(index)].admin_code", description: "must be empty or a 12-digit division code"))
            }
            if owner.shareBasisPoints <= 0 || owner.shareBasisPoints > RecordLimits.fullShareBasisPoints {
                bad.append(.init(field: "\(field)[\(index)].share_bp", description: "must be between 1 and 10000 basis points (got \(owner.shareBasisPoints))"))
                sharesValid = false
            } else {
                sum += owner.shareBasisPoints
            }
        }
        if sharesValid, sum != RecordLimits.fullShareBasisPoints {
            bad.append(.init(field: field, description: "shares add up to \(sum) basis points (\(percent(sum))); they must add up to exactly 10000 (100%)"))
        }
        return bad
    }

    static func validateDocuments(_ documents: [Document], field: String = "documents") -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if documents.count > RecordLimits.documentsMaxCount {
            bad.append(.init(field: field, description: "has \(documents.count) entries; at most \(RecordLimits.documentsMaxCount) are allowed"))
        }
        for (index, document) in documents.enumerated() {
            bad += TextRules.required(document.name, field: "\(field)[\(index)].name")
            bad += TextRules.optional(document.kind, field: "\(field)[\(index)].kind", maxBytes: 64)
            let hex = document.sha256.utf8
            let isHex = hex.count == 64 && hex.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
            if !isHex {
                bad.append(.init(field: "\(field)[\(index)].sha256", description: "must be the file's SHA-256 as 64 lowercase hex digits"))
            }
        }
        return bad
    }

    static func validateOperation(_ operation: Operation) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if operation.mode != .selfOperated {
            bad += TextRules.required(operation.counterparty, field: "operation.counterparty")
        } else {
            bad += TextRules.optional(operation.counterparty, field: "operation.counterparty")
        }
        if operation.annualFeeFen < 0 {
            bad.append(.init(field: "operation.annual_fee_fen", description: "must not be negative"))
        }
        if let start = operation.termStart, let end = operation.termEnd, end < start {
            bad.append(.init(field: "operation.term_end", description: "is before the term start \(start)"))
        }
        return bad
    }

    static func percent(_ basisPoints: Int) -> String {
        let whole = basisPoints / 100
        let rest = basisPoints % 100
        return rest == 0 ? "\(whole)%" : "\(whole).\(rest < 10 ? "0" : "")\(rest)%"
    }
}

/// Rules on decimal quantities.
public enum QuantityRules {
    /// Why `text` is not a positive decimal with at most 3 places, or nil.
    public static func problem(_ text: String) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard (1...2).contains(parts.count), digits(parts[0]), parts[0].count <= 12,
              parts.count == 1 || digits(parts[1])
        else { return "must be a decimal number such as 1 or 2.5 (got \"\(text)\")" }
        if parts.count == 2, parts[1].count > 3 {
            return "has more than 3 decimal places"
        }
        if text.utf8.allSatisfy({ $0 == 48 || $0 == 46 }) {
            return "must be greater than zero"
        }
        return nil
    }
}
