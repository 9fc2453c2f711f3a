// The JSON form of records kept in the store and in the audit journal's
// before/after columns: keys sorted, no whitespace, written by hand because
// Foundation's JSONEncoder costs about a hundred microseconds per asset and
// sits on the durable-write path. JSONDecoder reads it back (Codable keys).

/// Builds one JSON object with keys in the order they are added.
public struct JSONObjectWriter {
    private(set) var bytes: [UInt8]
    private var first = true

    /// An empty object.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A string member.
    public mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONObjectWriter.appendString(value, to: &bytes)
    }

    /// An integer member.
    public mutating func int<I: BinaryInteger>(_ name: StaticString, _ value: I) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A boolean member.
    public mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A number member (finite doubles only; others are written as 0).
    public mutating func double(_ name: StaticString, _ value: Double) {
        key(name)
        bytes.append(contentsOf: (value.isFinite ? String(value) : "0").utf8)
    }

    /// A nested object member.
    public mutating func object(_ name: StaticString, _ value: JSONObjectWriter) {
        key(name)
        bytes.append(contentsOf: value.finished)
    }

    /// An array of objects.
    public mutating func array(_ name: StaticString, _ values: [JSONObjectWriter]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: value.finished)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// An array of strings.
    public mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONObjectWriter.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// The object's bytes.
    public var finished: [UInt8] { bytes + [UInt8(ascii: "}")] }

    /// The object as text.
    public var text: String { String(decoding: finished, as: UTF8.self) }

    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escaping: copy it whole.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: value.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, 110])
            case 0x0D: bytes.append(contentsOf: [92, 114])
            case 0x09: bytes.append(contentsOf: [92, 116])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension Funding {
    var jsonObject: JSONObjectWriter {
        var json = JSONObjectWriter()
        json.int("amountFen", amountFen)
        json.string("source", source.rawValue)
        return json
    }
}

extension AdminUnit {
    /// The stored JSON form.
    public var jsonText: String {
        var json = JSONObjectWriter()
        json.string("code", code)
        json.string("level", level.rawValue)
        json.string("name", name)
        json.string("parentCode", parentCode)
        json.int("version", version)
        return json.text
    }
}

extension Project {
    /// The stored JSON form.
    public var jsonText: String {
        var json = JSONObjectWriter()
        json.string("adminCode", adminCode)
        json.array("funding", funding.map(\.jsonObject))
        json.string("id", id)
        json.string("implementingUnit", implementingUnit)
        json.string("name", name)
        json.int("version", version)
        json.int("year", year)
        return json.text
    }
}

extension Asset {
    /// The stored JSON form.
    public var jsonText: String {
        var json = JSONObjectWriter(capacity: 2048)
        json.int("accumulatedDepreciationFen", accumulatedDepreciationFen)
        json.string("acquiredDate", acquiredDate.description)
        json.string("adminCode", adminCode)
        json.string("beneficiary", beneficiary)
        json.string("category", category.rawValue)
        json.string("code", code)
        if let coordinates {
            var point = JSONObjectWriter()
            point.double("latitude", coordinates.latitude)
            point.double("longitude", coordinates.longitude)
            json.object("coordinates", point)
        }
        json.string("createdAt", createdAt)
        var custodyJSON = JSONObjectWriter()
        custodyJSON.string("contact", custody.contact)
        custodyJSON.string("custodian", custody.custodian)
        custodyJSON.string("responsiblePerson", custody.responsiblePerson)
        custodyJSON.string("upkeepFunding", custody.upkeepFunding)
        json.object("custody", custodyJSON)
        json.array("documents", documents.map(\.jsonObject))
        json.string("encumbrance", encumbrance)
        json.string("form", form.rawValue)
        json.array("funding", funding.map(\.jsonObject))
        json.string("id", id)
        json.object("lifecycle", lifecycle.jsonObject)
        json.string("name", name)
        json.string("note", note)
        if let operation {
            var item = JSONObjectWriter()
            item.int("annualFeeFen", operation.annualFeeFen)
            item.string("counterparty", operation.counterparty)
            item.string("mode", operation.mode.rawValue)
            if let start = operation.termStart { item.string("termStart", start.description) }
            if let end = operation.termEnd { item.string("termEnd", end.description) }
            json.object("operation", item)
        }
        json.int("originalValueFen", originalValueFen)
        json.array("owners", owners.map { owner in
            owner.jsonObject
        })
        json.string("projectId", projectId)
        json.string("quantity", quantity)
        json.string("subType", subType)
        json.string("supervisingDepartment", supervisingDepartment)
        json.string("unit", unit)
        json.string("updatedAt", updatedAt)
        json.string("usageStatus", usageStatus.rawValue)
        json.int("usefulLifeYears", usefulLifeYears)
        json.string("user", user)
        json.int("version", version)
        return json.text
    }
}

extension Owner {
    var jsonObject: JSONObjectWriter {
        var item = JSONObjectWriter()
        item.string("adminCode", adminCode)
        if !householdId.isEmpty { item.string("householdId", householdId) }
        item.string("kind", kind.rawValue)
        item.string("name", name)
        item.int("shareBasisPoints", shareBasisPoints)
        return item
    }
}

extension Document {
    var jsonObject: JSONObjectWriter {
        var item = JSONObjectWriter()
        item.string("kind", kind)
        item.string("name", name)
        item.string("sha256", sha256)
        return item
    }
}

extension Lifecycle {
    var jsonObject: JSONObjectWriter {
        var json = JSONObjectWriter(capacity: 256)
        json.string("disposalId", disposalId)
        if let disposedOn { json.string("disposedOn", disposedOn.description) }
        if let handover {
            var item = JSONObjectWriter()
            item.string("date", handover.date.description)
            item.array("documents", handover.documents.map(\.jsonObject))
            item.string("fromParty", handover.fromParty)
            item.bool("onTime", handover.onTime)
            item.string("toParty", handover.toParty)
            item.string("upkeepDuties", handover.upkeepDuties)
            json.object("handover", item)
        }
        if let handoverDue { json.string("handoverDue", handoverDue.description) }
        json.bool("handoverDueProvisional", handoverDueProvisional)
        if let inServiceSince { json.string("inServiceSince", inServiceSince.description) }
        json.int("objectionCount", objectionCount)
        if let ownership {
            func signOffObject(_ signOff: SignOff) -> JSONObjectWriter {
                var sign = JSONObjectWriter()
                sign.string("decidedBy", signOff.decidedBy)
                if let id = signOff.decidedById { sign.string("decidedById", id) }
                if let decidedOn = signOff.decidedOn { sign.string("decidedOn", decidedOn.description) }
                sign.string("draftedBy", signOff.draftedBy)
                if let id = signOff.draftedById { sign.string("draftedById", id) }
                sign.string("note", signOff.note)
                sign.string("state", signOff.state.rawValue)
                return sign
            }
            var item = JSONObjectWriter()
            if let correction = ownership.correction {
                var fix = JSONObjectWriter()
                fix.array("owners", correction.owners.map(\.jsonObject))
                fix.object("signOff", signOffObject(correction.signOff))
                item.object("correction", fix)
            }
            item.string("date", ownership.date.description)
            item.string("overrideReason", ownership.overrideReason)
            if ownership.signOff != nil { item.array("owners", ownership.owners.map(\.jsonObject)) }
            item.array("proposed", ownership.proposed.map(\.jsonObject))
            item.string("rule", ownership.rule)
            if let signOff = ownership.signOff { item.object("signOff", signOffObject(signOff)) }
            json.object("ownership", item)
        }
        json.array("publications", publications.map { publication in
            var item = JSONObjectWriter()
            if let closed = publication.closed { item.string("closed", closed.description) }
            item.string("earliestClose", publication.earliestClose.description)
            item.string("kind", publication.kind.rawValue)
            item.array("objections", publication.objections.map { objection in
                var entry = JSONObjectWriter()
                entry.string("content", objection.content)
                entry.string("filed", objection.filed.description)
                entry.string("filer", objection.filer)
                entry.int("number", objection.number)
                if let outcome = objection.outcome { entry.string("outcome", outcome.rawValue) }
                if let resolved = objection.resolved { entry.string("resolved", resolved.description) }
                entry.string("resolution", objection.resolution)
                return entry
            })
            item.bool("provisional", publication.provisional)
            if let restarted = publication.restarted { item.string("restarted", restarted.description) }
            item.int("round", publication.round)
            item.string("start", publication.start.description)
            return item
        })
        json.string("stage", stage.rawValue)
        json.array("valuations", valuations.map { event in
            var item = JSONObjectWriter()
            item.string("basis", event.basis)
            item.string("date", event.date.description)
            item.string("kind", event.kind.rawValue)
            item.int("replacedFen", event.replacedFen)
            item.int("spendFen", event.spendFen)
            item.int("valueFen", event.valueFen)
            return item
        })
        return json
    }
}
