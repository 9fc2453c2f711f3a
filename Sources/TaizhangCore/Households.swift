// The beneficiary register 帮扶对象台账 (issue 23): the households of each
// village, their labour capacity and category, each change dated with its
// reason (004 §30: income goes first to households without or with weak
// labour capacity; 000 二(四)1: the newly poor and those returned to poverty
// are brought into support). Records and their rules, pure.

/// A household's capacity to work 劳动能力.
public enum LabourCapacity: String, Sendable, Codable, CaseIterable {
    /// 无劳动能力.
    case none
    /// 弱劳动能力 (or partial).
    case weak
    /// 有劳动能力.
    case full

    public var chineseName: String {
        switch self {
        case .none: return "无劳动能力"
        case .weak: return "弱劳动能力"
        case .full: return "有劳动能力"
        }
    }

    /// Without or with weak labour capacity: first in line for village
    /// income (004 §30).
    public var isPriority: Bool { self != .full }
}

/// A household's category in the register.
public enum HouseholdCategory: String, Sendable, Codable, CaseIterable {
    /// 脱贫户: lifted out of poverty, not monitored.
    case lifted
    /// 脱贫不稳定户 (monitored).
    case unstableLifted = "unstable_lifted"
    /// 边缘易致贫户 (monitored).
    case edgeAtRisk = "edge_at_risk"
    /// 突发严重困难户 (monitored).
    case suddenHardship = "sudden_hardship"
    /// 新致贫户: newly poor, to be brought into support.
    case newlyPoor = "newly_poor"
    /// 返贫户: returned to poverty, to be brought into support.
    case returnedToPoverty = "returned_to_poverty"

    public var chineseName: String {
        switch self {
        case .lifted: return "脱贫户"
        case .unstableLifted: return "脱贫不稳定户"
        case .edgeAtRisk: return "边缘易致贫户"
        case .suddenHardship: return "突发严重困难户"
        case .newlyPoor: return "新致贫户"
        case .returnedToPoverty: return "返贫户"
        }
    }

    /// The three monitored categories 三类监测对象 (000 二(四)1).
    public var isMonitored: Bool { self == .unstableLifted || self == .edgeAtRisk || self == .suddenHardship }
    /// Newly poor or returned to poverty: to be brought into support 纳入帮扶.
    public var needsSupport: Bool { self == .newlyPoor || self == .returnedToPoverty }
}

/// A member of a household other than its head.
public struct HouseholdMember: Sendable, Hashable, Codable {
    public var name: String
    /// 与户主关系: 配偶, 子女, 父母, …
    public var relation: String

    public init(name: String, relation: String) {
        self.name = name
        self.relation = relation
    }
}

/// One dated change of a household's register entry, with its reason.
public struct HouseholdChange: Sendable, Hashable, Codable {
    /// The day the change took effect (a civil date in China Standard Time).
    public var date: CivilDate
    /// What changed, in words ("类别：脱贫户 → 突发严重困难户").
    public var what: String
    /// Why (a flood, an illness, a survey …).
    public var reason: String

    public init(date: CivilDate, what: String, reason: String) {
        self.date = date
        self.what = what
        self.reason = reason
    }
}

/// A household of the register, as the store keeps it: its ID and phone
/// numbers sealed (`PersonalDataKey`) for this household and field, with
/// their masks beside them for every answer that does not reveal them, and
/// the keyed digest of the ID number by which a second registration of one
/// person is found.
public struct Household: Sendable, Hashable, Codable {
    /// "HH" and eight digits, given by the store.
    public var id: String
    /// The village: a 12-digit admin code of the ledger, of level village.
    public var villageCode: String
    /// The head of household 户主.
    public var headName: String
    /// The head's citizen ID number masked ("4210**********1235").
    public var idNumberMasked: String
    /// The ID number sealed (hex of `FieldCipher`'s format).
    public var idNumberSealed: String
    /// HMAC-SHA256 of the ID number under the personal-data key (hex).
    public var idDigest: String
    /// The phone number masked ("138****5678"), or "".
    public var phoneMasked: String
    /// The phone number sealed, or "".
    public var phoneSealed: String
    public var members: [HouseholdMember]
    public var labourCapacity: LabourCapacity
    public var category: HouseholdCategory
    /// The day it entered the register.
    public var registeredOn: CivilDate
    /// Every change since, oldest first (its registration is the first).
    public var changes: [HouseholdChange]
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    /// People in the household, the head included.
    public var size: Int { members.count + 1 }
}

/// What a caller says of a household: the numbers in clear, as typed.
public struct HouseholdEntry: Sendable, Hashable {
    /// Empty for a new household.
    public var id: String
    public var villageCode: String
    public var headName: String
    /// On an update, "" keeps the number registered.
    public var idNumber: String
    /// On an update, "" keeps the number registered (`removePhone` removes it).
    public var phone: String
    public var removePhone: Bool
    public var members: [HouseholdMember]
    public var labourCapacity: LabourCapacity
    public var category: HouseholdCategory
    /// The day the registration or change takes effect.
    public var on: CivilDate
    /// Why it is registered or changed.
    public var reason: String

    public init(id: String = "", villageCode: String, headName: String, idNumber: String, phone: String = "", removePhone: Bool = false,
                members: [HouseholdMember] = [], labourCapacity: LabourCapacity, category: HouseholdCategory, on: CivilDate, reason: String) {
        self.id = id
        self.villageCode = villageCode
        self.headName = headName
        self.idNumber = idNumber
        self.phone = phone
        self.removePhone = removePhone
        self.members = members
        self.labourCapacity = labourCapacity
        self.category = category
        self.on = on
        self.reason = reason
    }
}

/// A visit to a household 巡问查比 (002 Laiwu): an inspector patrols, visits
/// and asks, checks where the money of a plan went, and compares the
/// signature and thumbprint with the payment sheet (issue 23).
public struct HouseholdVisit: Sendable, Hashable, Codable {
    /// "XF" and eight digits, given by the store.
    public var id: String
    public var householdId: String
    /// The household's village (where the visit lies for scopes).
    public var villageCode: String
    /// The head's name as the register had it (for the alert's text).
    public var headName: String
    /// The plan whose payment was checked (carried out, paying the household).
    public var planId: String
    public var date: CivilDate
    /// Who visited.
    public var inspector: String
    /// What was asked and answered.
    public var asked: String
    /// The household confirms it received its share in full.
    public var paymentConfirmed: Bool
    /// The signature and thumbprint match the payment sheet.
    public var signaturesMatch: Bool
    public var notes: String
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    public init(id: String = "", householdId: String, villageCode: String = "", headName: String = "", planId: String, date: CivilDate,
                inspector: String, asked: String, paymentConfirmed: Bool, signaturesMatch: Bool, notes: String = "",
                version: Int64 = 0, createdAt: String = "", updatedAt: String = "") {
        self.id = id
        self.householdId = householdId
        self.villageCode = villageCode
        self.headName = headName
        self.planId = planId
        self.date = date
        self.inspector = inspector
        self.asked = asked
        self.paymentConfirmed = paymentConfirmed
        self.signaturesMatch = signaturesMatch
        self.notes = notes
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The payment disputed or the signature not matching: an alert on the plan.
    public var disputed: Bool { !paymentConfirmed || !signaturesMatch }
}

/// Limits on the register.
public enum HouseholdLimits {
    public static let nameMaxCharacters = 50
    public static let relationMaxCharacters = 20
    public static let membersMaxCount = 30
    public static let reasonMaxCharacters = 500
    /// Changes kept on one household (a register entry changes a few times a year).
    public static let changesMaxCount = 1_000
    /// Households in one import.
    public static let importMaxCount = 10_000
}

/// The register's rules.
public enum HouseholdRules {
    /// Every problem of an entry's own fields, each naming its field; the
    /// numbers themselves never appear in a message. `isNew`: the numbers
    /// are required (on an update "" keeps them).
    public static func violations(_ entry: HouseholdEntry, isNew: Bool, today: CivilDate, field prefix: String = "household") -> [FieldViolation] {
        var bad: [FieldViolation] = []
        func name(_ value: String, _ field: String) {
            if value.trimmingSpaces.isEmpty { bad.append(FieldViolation(field: field, description: "must not be empty")) }
            if value.count > HouseholdLimits.nameMaxCharacters {
                bad.append(FieldViolation(field: field, description: "at most \(HouseholdLimits.nameMaxCharacters) characters"))
            }
        }
        if entry.villageCode.count != 12 || !entry.villageCode.allSatisfy({ $0.isASCII && $0.isNumber }) {
            bad.append(FieldViolation(field: "\(prefix).village_code", description: "must be a 12-digit admin code of a village"))
        }
        name(entry.headName, "\(prefix).head_name")
        if isNew && entry.idNumber.isEmpty {
            bad.append(FieldViolation(field: "\(prefix).id_number", description: "is required: the head's 18-character citizen ID number"))
        } else if !entry.idNumber.isEmpty, let problem = ResidentID.problem(with: entry.idNumber, today: today) {
            bad.append(FieldViolation(field: "\(prefix).id_number", description: problem))
        }
        if !entry.phone.isEmpty, let problem = PhoneNumber.problem(with: entry.phone) {
            bad.append(FieldViolation(field: "\(prefix).phone", description: problem))
        }
        if entry.removePhone && !entry.phone.isEmpty {
            bad.append(FieldViolation(field: "\(prefix).remove_phone", description: "give a new phone or clear it, not both"))
        }
        if entry.members.count > HouseholdLimits.membersMaxCount {
            bad.append(FieldViolation(field: "\(prefix).members", description: "at most \(HouseholdLimits.membersMaxCount) members"))
        }
        for (index, member) in entry.members.prefix(HouseholdLimits.membersMaxCount).enumerated() {
            name(member.name, "\(prefix).members[\(index)].name")
            if member.relation.trimmingSpaces.isEmpty || member.relation.count > HouseholdLimits.relationMaxCharacters {
                bad.append(FieldViolation(field: "\(prefix).members[\(index)].relation",
                                          description: "say how they are related to the head (配偶, 子女 …), in at most \(HouseholdLimits.relationMaxCharacters) characters"))
            }
        }
        if entry.on > today { bad.append(FieldViolation(field: "date", description: "is \(entry.on), after today (\(today)); record what has happened")) }
        if entry.reason.trimmingSpaces.isEmpty {
            bad.append(FieldViolation(field: "\(prefix).reason", description: isNew ? "say why it enters the register (识别纳入, 监测发现 …)" : "say why it changes"))
        }
        if entry.reason.count > HouseholdLimits.reasonMaxCharacters {
            bad.append(FieldViolation(field: "\(prefix).reason", description: "at most \(HouseholdLimits.reasonMaxCharacters) characters"))
        }
        return bad
    }

    /// What an update changes, in words for the household's change log (the
    /// numbers masked; the phone only said to have changed); "" when nothing.
    public static func describeChange(from old: Household, to new: Household) -> String {
        var parts: [String] = []
        if old.category != new.category { parts.append("类别：\(old.category.chineseName) → \(new.category.chineseName)") }
        if old.labourCapacity != new.labourCapacity {
            parts.append("劳动能力：\(old.labourCapacity.chineseName) → \(new.labourCapacity.chineseName)")
        }
        if old.headName != new.headName { parts.append("户主：\(old.headName) → \(new.headName)") }
        if old.idDigest != new.idDigest { parts.append("身份证号：\(old.idNumberMasked) → \(new.idNumberMasked)") }
        if old.phoneSealed != new.phoneSealed && !(old.phoneSealed.isEmpty && new.phoneSealed.isEmpty) {
            parts.append(new.phoneSealed.isEmpty ? "联系电话已删除" : "联系电话已变更")
        }
        if old.members != new.members { parts.append("家庭成员：\(old.size) 人 → \(new.size) 人") }
        return parts.joined(separator: "；")
    }
}

extension String {
    /// The text with `prefix` at its start replaced (unchanged without it).
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }

    /// Without spaces at either end (full-width spaces included). Walks the
    /// scalars from both ends: the text itself when neither end is a space
    /// (an import checks a dozen texts a row; reversing Characters was a
    /// sixth of its time).
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        if start == scalars.startIndex, end == scalars.endIndex { return self }
        return String(scalars[start..<end])
    }
}

extension Household {
    /// The stored JSON form, written by hand: the bytes JSONEncoder with
    /// sorted keys writes (a test holds them equal), at a fraction of the
    /// cost (an import writes 10,000 in one commit).
    public var jsonText: String {
        var json = JSONObjectWriter(capacity: 1_024)
        json.string("category", category.rawValue)
        json.array("changes", changes.map { change in
            var item = JSONObjectWriter()
            item.string("date", change.date.description)
            item.string("reason", change.reason)
            item.string("what", change.what)
            return item
        })
        json.string("createdAt", createdAt)
        json.string("headName", headName)
        json.string("id", id)
        json.string("idDigest", idDigest)
        json.string("idNumberMasked", idNumberMasked)
        json.string("idNumberSealed", idNumberSealed)
        json.string("labourCapacity", labourCapacity.rawValue)
        json.array("members", members.map { member in
            var item = JSONObjectWriter()
            item.string("name", member.name)
            item.string("relation", member.relation)
            return item
        })
        json.string("phoneMasked", phoneMasked)
        json.string("phoneSealed", phoneSealed)
        json.string("registeredOn", registeredOn.description)
        json.string("updatedAt", updatedAt)
        json.int("version", version)
        json.string("villageCode", villageCode)
        return json.text
    }
}
