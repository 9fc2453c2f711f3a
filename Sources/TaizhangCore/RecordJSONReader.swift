// Reads the record JSON that RecordJSON.swift writes, back into records, by
// hand: Foundation's JSONDecoder takes ~70 µs per asset, which made a
// restart with 100,000 assets take seconds. Accepts any well-formed JSON
// (whitespace, escapes, key order), and reports what it cannot read.

/// A parsed JSON value.
public enum JSONValue: Equatable, Sendable {
    case string(String)
    case number(Double, text: String)
    case bool(Bool)
    case null
    case array([JSONValue])
    /// Members in document order (a list: records have a few dozen keys, and
    /// a scan beats hashing them); a repeated key's last value wins.
    case object([JSONMember])

    /// The member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.last { $0.key == key }?.value }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var int64: Int64? {
        if case .number(_, let text) = self { return Int64(text) }
        return nil
    }

    var double: Double? {
        if case .number(let value, _) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}

/// One member of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public let key: String
    public let value: JSONValue
}

/// What went wrong reading a record's JSON.
public struct RecordJSONError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// A small JSON parser over UTF-8 bytes.
public struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0

    /// Parses one JSON value filling all of `text`.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("trailing characters") }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func error(_ what: String) -> RecordJSONError {
        RecordJSONError(description: "record JSON: \(what) at byte \(index)")
    }

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 32 else { throw error("nesting too deep") }
        skipSpace()
        guard index < bytes.count else { throw error("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [JSONMember] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected :") }
                index += 1
                members.append(JSONMember(key: key, value: try value(depth: depth + 1)))
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw error("expected , or }")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONValue] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw error("expected , or ]")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                     UInt8(ascii: "e"), UInt8(ascii: "E"):
                    index += 1
                    continue
                default: break
                }
                break
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard !text.isEmpty, let number = Double(text) else { throw error("not a value") }
            return .number(number, text: text)
        }
    }

    private mutating func literal(_ word: String) throws {
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw error("expected \(word)") }
            index += 1
        }
    }

    private mutating func string() throws -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
        guard index < bytes.count else { throw error("unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard index < bytes.count else { break }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: out.append(escaped)
            }
        }
        throw error("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw error("bad \\u escape")
        }
        index += 4
        return value
    }
}

/// Reading records from their JSON.
enum RecordReader {
    static func string(_ json: JSONValue, _ key: String) throws -> String {
        guard let value = json[key]?.string else { throw RecordJSONError(description: "record JSON: \(key) missing or not a string") }
        return value
    }

    static func int64(_ json: JSONValue, _ key: String) throws -> Int64 {
        guard let value = json[key]?.int64 else { throw RecordJSONError(description: "record JSON: \(key) missing or not an integer") }
        return value
    }

    static func enumeration<E: RawRepresentable>(_ json: JSONValue, _ key: String) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: try string(json, key)) else { throw RecordJSONError(description: "record JSON: \(key) has an unknown value") }
        return value
    }

    static func date(_ json: JSONValue, _ key: String) throws -> CivilDate {
        guard let date = CivilDate(try string(json, key)) else { throw RecordJSONError(description: "record JSON: \(key) is not a date") }
        return date
    }

    static func owners(_ json: JSONValue?) throws -> [Owner] {
        try (json?.array ?? []).map {
            Owner(name: try string($0, "name"), kind: try enumeration($0, "kind"), adminCode: try string($0, "adminCode"),
                  shareBasisPoints: Int(try int64($0, "shareBasisPoints")), householdId: $0["householdId"] == nil ? "" : try string($0, "householdId"))
        }
    }

    static func documents(_ json: JSONValue?) throws -> [Document] {
        try (json?.array ?? []).map {
            Document(name: try string($0, "name"), kind: try string($0, "kind"), sha256: try string($0, "sha256"))
        }
    }

    static func optionalDate(_ json: JSONValue, _ key: String) throws -> CivilDate? {
        guard json[key] != nil else { return nil }
        return try date(json, key)
    }

    static func bool(_ json: JSONValue, _ key: String) -> Bool {
        if case .bool(let value)? = json[key] { return value }
        return false
    }

    static func signOff(_ sign: JSONValue) throws -> SignOff {
        SignOff(state: try enumeration(sign, "state"), draftedBy: try string(sign, "draftedBy"), draftedById: sign["draftedById"]?.string,
                decidedBy: try string(sign, "decidedBy"), decidedById: sign["decidedById"]?.string, decidedOn: try optionalDate(sign, "decidedOn"),
                note: try string(sign, "note"))
    }

    static func lifecycle(_ json: JSONValue) throws -> Lifecycle {
        var life = Lifecycle(stage: try enumeration(json, "stage"))
        if let item = json["ownership"] {
            life.ownership = OwnershipConfirmation(date: try date(item, "date"), rule: try string(item, "rule"),
                                                   proposed: try owners(item["proposed"]), overrideReason: try string(item, "overrideReason"),
                                                   signOff: try item["signOff"].map(signOff),
                                                   owners: try owners(item["owners"]),
                                                   correction: try item["correction"].map { fix in
                                                       guard let sign = fix["signOff"], let list = fix["owners"] else {
                                                           throw RecordJSONError(description: "record JSON: a correction needs owners and signOff")
                                                       }
                                                       return OwnershipCorrection(owners: try owners(list), signOff: try signOff(sign))
                                                   })
        }
        life.publications = try (json["publications"]?.array ?? []).map { item in
            Publication(kind: try enumeration(item, "kind"), round: Int(try int64(item, "round")), start: try date(item, "start"),
                        earliestClose: try date(item, "earliestClose"), provisional: bool(item, "provisional"),
                        closed: try optionalDate(item, "closed"), restarted: try optionalDate(item, "restarted"),
                        objections: try (item["objections"]?.array ?? []).map { entry in
                            Objection(number: Int(try int64(entry, "number")), filed: try date(entry, "filed"),
                                      filer: try string(entry, "filer"), content: try string(entry, "content"),
                                      outcome: try entry["outcome"].map { _ in try enumeration(entry, "outcome") as ObjectionOutcome },
                                      resolved: try optionalDate(entry, "resolved"), resolution: try string(entry, "resolution"))
                        })
        }
        life.handoverDue = try optionalDate(json, "handoverDue")
        life.handoverDueProvisional = bool(json, "handoverDueProvisional")
        if let item = json["handover"] {
            life.handover = Handover(date: try date(item, "date"), fromParty: try string(item, "fromParty"),
                                     toParty: try string(item, "toParty"), documents: try documents(item["documents"]),
                                     upkeepDuties: try string(item, "upkeepDuties"), onTime: bool(item, "onTime"))
        }
        life.inServiceSince = try optionalDate(json, "inServiceSince")
        life.disposedOn = try optionalDate(json, "disposedOn")
        life.disposalId = json["disposalId"]?.string ?? ""
        life.valuations = try (json["valuations"]?.array ?? []).map { item in
            ValuationEvent(kind: try enumeration(item, "kind"), date: try date(item, "date"), valueFen: try int64(item, "valueFen"),
                           spendFen: try int64(item, "spendFen"), replacedFen: try int64(item, "replacedFen"), basis: try string(item, "basis"))
        }
        life.objectionCount = Int(try int64(json, "objectionCount"))
        return life
    }

    static func funding(_ json: JSONValue) throws -> [Funding] {
        try (json["funding"]?.array ?? []).map { Funding(source: try enumeration($0, "source"), amountFen: try int64($0, "amountFen")) }
    }
}

extension AdminUnit {
    /// Reads the stored JSON form.
    public init(recordJSON text: String) throws {
        let json = try JSONParser.parse(text)
        self.init(code: try RecordReader.string(json, "code"), name: try RecordReader.string(json, "name"),
                  level: try RecordReader.enumeration(json, "level"), parentCode: try RecordReader.string(json, "parentCode"),
                  version: try RecordReader.int64(json, "version"))
    }
}

extension Project {
    /// Reads the stored JSON form.
    public init(recordJSON text: String) throws {
        let json = try JSONParser.parse(text)
        self.init(id: try RecordReader.string(json, "id"), name: try RecordReader.string(json, "name"),
                  year: Int(try RecordReader.int64(json, "year")), implementingUnit: try RecordReader.string(json, "implementingUnit"),
                  adminCode: try RecordReader.string(json, "adminCode"), funding: try RecordReader.funding(json),
                  version: try RecordReader.int64(json, "version"))
    }
}

extension Asset {
    /// Reads the stored JSON form.
    public init(recordJSON text: String) throws {
        typealias R = RecordReader
        let json = try JSONParser.parse(text)
        var operation: Operation?
        if let op = json["operation"] {
            operation = Operation(mode: try R.enumeration(op, "mode"), counterparty: try R.string(op, "counterparty"),
                                  annualFeeFen: try R.int64(op, "annualFeeFen"),
                                  termStart: op["termStart"]?.string.flatMap(CivilDate.init),
                                  termEnd: op["termEnd"]?.string.flatMap(CivilDate.init))
        }
        var coordinates: Coordinates?
        if let point = json["coordinates"], let latitude = point["latitude"]?.double, let longitude = point["longitude"]?.double {
            coordinates = Coordinates(latitude: latitude, longitude: longitude)
        }
        let custodyJSON = json["custody"] ?? .object([])
        self.init(
            id: try R.string(json, "id"), code: try R.string(json, "code"), name: try R.string(json, "name"),
            category: try R.enumeration(json, "category"), subType: try R.string(json, "subType"),
            form: try R.enumeration(json, "form"), projectId: try R.string(json, "projectId"),
            adminCode: try R.string(json, "adminCode"), acquiredDate: try R.date(json, "acquiredDate"),
            usefulLifeYears: Int(try R.int64(json, "usefulLifeYears")), usageStatus: try R.enumeration(json, "usageStatus"),
            quantity: try R.string(json, "quantity"), unit: try R.string(json, "unit"),
            originalValueFen: try R.int64(json, "originalValueFen"), funding: try R.funding(json),
            accumulatedDepreciationFen: try R.int64(json, "accumulatedDepreciationFen"),
            owners: try R.owners(json["owners"]),
            user: try R.string(json, "user"), beneficiary: try R.string(json, "beneficiary"),
            custody: Custody(custodian: try R.string(custodyJSON, "custodian"),
                             responsiblePerson: try R.string(custodyJSON, "responsiblePerson"),
                             contact: try R.string(custodyJSON, "contact"), upkeepFunding: try R.string(custodyJSON, "upkeepFunding")),
            supervisingDepartment: try R.string(json, "supervisingDepartment"), operation: operation,
            documents: try R.documents(json["documents"]),
            coordinates: coordinates, note: try R.string(json, "note"),
            encumbrance: json["encumbrance"]?.string ?? "",
            lifecycle: try json["lifecycle"].map(R.lifecycle) ?? Lifecycle(),
            version: try R.int64(json, "version"),
            createdAt: try R.string(json, "createdAt"), updatedAt: try R.string(json, "updatedAt"))
    }
}
