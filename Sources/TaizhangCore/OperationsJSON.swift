// The stored JSON forms of entities, contracts, reports and alert details,
// written and read by hand like the other records (RecordJSON.swift).

extension OperatingEntity {
    /// The stored JSON form.
    public var jsonText: String {
        var json = JSONObjectWriter(capacity: 256)
        json.string("adminCode", adminCode)
        json.string("contact", contact)
        json.string("createdAt", createdAt)
        json.string("creditCode", creditCode)
        json.string("id", id)
        json.string("kind", kind.rawValue)
        json.string("legalRepresentative", legalRepresentative)
        json.string("name", name)
        json.string("updatedAt", updatedAt)
        json.int("version", version)
        return json.text
    }

    /// Reads the stored JSON form.
    public init(recordJSON text: String) throws {
        typealias R = RecordReader
        let json = try JSONParser.parse(text)
        self.init(id: try R.string(json, "id"), name: try R.string(json, "name"), kind: try R.enumeration(json, "kind"),
                  adminCode: try R.string(json, "adminCode"), creditCode: try R.string(json, "creditCode"),
                  legalRepresentative: try R.string(json, "legalRepresentative"), contact: try R.string(json, "contact"),
                  version: try R.int64(json, "version"), createdAt: try R.string(json, "createdAt"), updatedAt: try R.string(json, "updatedAt"))
    }
}

extension OwnerConsent {
    var jsonObject: JSONObjectWriter {
        var item = JSONObjectWriter()
        item.string("consentedBy", consentedBy)
        item.string("date", date.description)
        item.string("reference", reference)
        return item
    }

    init(json: JSONValue) throws {
        self.init(date: try RecordReader.date(json, "date"), consentedBy: try RecordReader.string(json, "consentedBy"),
                  reference: try RecordReader.string(json, "reference"))
    }
}

extension OperationContract {
    /// The stored JSON form.
    public var jsonText: String {
        var json = JSONObjectWriter(capacity: 512)
        json.array("amendments", amendments.map { amendment in
            var item = JSONObjectWriter()
            if let consent = amendment.consent { item.object("consent", consent.jsonObject) }
            item.string("date", amendment.date.description)
            item.string("summary", amendment.summary)
            return item
        })
        json.string("assetId", assetId)
        json.int("committedHouseholds", committedHouseholds)
        json.int("committedPoorLabourers", committedPoorLabourers)
        json.string("createdAt", createdAt)
        json.string("end", end.description)
        json.string("entityId", entityId)
        json.string("id", id)
        json.string("mode", mode.rawValue)
        json.array("payments", payments.map { payment in
            var item = JSONObjectWriter()
            item.int("amountFen", payment.amountFen)
            item.string("dueDate", payment.dueDate.description)
            item.string("kind", payment.kind.rawValue)
            return item
        })
        json.string("start", start.description)
        if let operatorSince { json.string("operatorSince", operatorSince.description) }
        if let terminatedOn { json.string("terminatedOn", terminatedOn.description) }
        json.string("updatedAt", updatedAt)
        json.int("version", version)
        return json.text
    }

    /// Reads the stored JSON form.
    public init(recordJSON text: String) throws {
        typealias R = RecordReader
        let json = try JSONParser.parse(text)
        self.init(
            id: try R.string(json, "id"), assetId: try R.string(json, "assetId"), entityId: try R.string(json, "entityId"),
            mode: try R.enumeration(json, "mode"), start: try R.date(json, "start"), end: try R.date(json, "end"),
            payments: try (json["payments"]?.array ?? []).map {
                PaymentDue(kind: try R.enumeration($0, "kind"), dueDate: try R.date($0, "dueDate"), amountFen: try R.int64($0, "amountFen"))
            },
            committedPoorLabourers: Int(try R.int64(json, "committedPoorLabourers")),
            committedHouseholds: Int(try R.int64(json, "committedHouseholds")),
            terminatedOn: try R.optionalDate(json, "terminatedOn"),
            operatorSince: try R.optionalDate(json, "operatorSince"),
            amendments: try (json["amendments"]?.array ?? []).map {
                ContractAmendment(date: try R.date($0, "date"), summary: try R.string($0, "summary"),
                                  consent: try $0["consent"].map(OwnerConsent.init(json:)))
            },
            version: try R.int64(json, "version"), createdAt: try R.string(json, "createdAt"), updatedAt: try R.string(json, "updatedAt"))
    }
}

extension QuarterReport {
    /// The stored JSON form.
    public var jsonText: String {
        var json = JSONObjectWriter(capacity: 512)
        json.string("correctionReason", correctionReason)
        json.string("createdAt", createdAt)
        json.int("dividendsPaidFen", dividendsPaidFen)
        json.string("entityId", entityId)
        json.int("householdsLinked", householdsLinked)
        json.int("outputValueFen", outputValueFen)
        json.int("paymentsDueFen", paymentsDueFen)
        json.int("paymentsPaidFen", paymentsPaidFen)
        json.int("poorLabourersEmployed", poorLabourersEmployed)
        json.int("profitFen", profitFen)
        json.string("quarter", quarter.description)
        json.int("revision", revision)
        json.strings("salesChannels", salesChannels)
        json.int("salesRevenueFen", salesRevenueFen)
        json.string("submittedOn", submittedOn.description)
        json.strings("supportMeasures", supportMeasures)
        json.int("targetOutputValueFen", targetOutputValueFen)
        json.int("targetSalesRevenueFen", targetSalesRevenueFen)
        json.string("updatedAt", updatedAt)
        return json.text
    }

    /// Reads the stored JSON form.
    public init(recordJSON text: String) throws {
        typealias R = RecordReader
        let json = try JSONParser.parse(text)
        guard let quarter = Quarter(try R.string(json, "quarter")) else { throw RecordJSONError(description: "record JSON: quarter is not a quarter") }
        self.init(
            entityId: try R.string(json, "entityId"), quarter: quarter, outputValueFen: try R.int64(json, "outputValueFen"),
            salesRevenueFen: try R.int64(json, "salesRevenueFen"), salesChannels: R.strings(json["salesChannels"]),
            profitFen: try R.int64(json, "profitFen"), paymentsDueFen: try R.int64(json, "paymentsDueFen"),
            paymentsPaidFen: try R.int64(json, "paymentsPaidFen"), poorLabourersEmployed: Int(try R.int64(json, "poorLabourersEmployed")),
            householdsLinked: Int(try R.int64(json, "householdsLinked")), dividendsPaidFen: try R.int64(json, "dividendsPaidFen"),
            supportMeasures: R.strings(json["supportMeasures"]), targetOutputValueFen: try R.int64(json, "targetOutputValueFen"),
            targetSalesRevenueFen: try R.int64(json, "targetSalesRevenueFen"), submittedOn: try R.date(json, "submittedOn"),
            revision: Int(try R.int64(json, "revision")), correctionReason: try R.string(json, "correctionReason"),
            createdAt: try R.string(json, "createdAt"), updatedAt: try R.string(json, "updatedAt"))
    }
}

/// The JSON of an alert's parts and reasons, as the alert store keeps them.
public enum AlertDetailJSON {
    public static func reasons(_ reasons: [RiskReason]) -> String {
        var json = JSONObjectWriter()
        json.array("reasons", reasons.map(reasonObject))
        return json.text
    }

    public static func parts(_ parts: [RiskPartScore]) -> String {
        var json = JSONObjectWriter()
        json.array("parts", parts.map { part in
            var item = JSONObjectWriter()
            item.string("part", part.part.rawValue)
            item.array("reasons", part.reasons.map(reasonObject))
            item.int("score", part.score)
            item.int("weight", part.weight)
            return item
        })
        return json.text
    }

    public static func readReasons(_ text: String) throws -> [RiskReason] {
        try readReasonList(try JSONParser.parse(text)["reasons"])
    }

    public static func readParts(_ text: String) throws -> [RiskPartScore] {
        try (try JSONParser.parse(text)["parts"]?.array ?? []).map { item in
            RiskPartScore(part: try RecordReader.enumeration(item, "part"), score: Int(try RecordReader.int64(item, "score")),
                          weight: Int(try RecordReader.int64(item, "weight")), reasons: try readReasonList(item["reasons"]))
        }
    }

    static func reasonObject(_ reason: RiskReason) -> JSONObjectWriter {
        var item = JSONObjectWriter()
        item.string("code", reason.code)
        item.string("en", reason.english)
        item.string("zh", reason.chinese)
        return item
    }

    static func readReasonList(_ json: JSONValue?) throws -> [RiskReason] {
        try (json?.array ?? []).map {
            RiskReason(try RecordReader.string($0, "code"), try RecordReader.string($0, "zh"), try RecordReader.string($0, "en"))
        }
    }
}

extension RecordReader {
    static func strings(_ json: JSONValue?) -> [String] {
        (json?.array ?? []).compactMap(\.string)
    }
}
