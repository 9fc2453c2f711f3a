// taizhang.household.v1.Households (issue 23): the beneficiary register. The
// rules are TaizhangCore's (HouseholdRules, Decider+Households); here the
// wire's messages become mutations, and records answers with their numbers
// masked, or, from RevealHouseholds, in clear after the journal has noted
// the read.

import Foundation
import SwiftProtobuf
import TaizhangCore
import TaizhangProto
import TaizhangStore

enum HouseholdService {
    static func methods(store: any LedgerStore, context: LedgerContext, key: PersonalDataKey) -> [MethodSpec] {
        let handlers = Handlers(store: store, context: context, key: key)
        return [handlers.registerHousehold, handlers.updateHousehold, handlers.getHousehold, handlers.listHouseholds, handlers.revealHouseholds,
                handlers.recordVisit, handlers.listVisits, handlers.importHouseholds]
    }

    struct Handlers: Sendable {
        let store: any LedgerStore
        let context: LedgerContext
        let key: PersonalDataKey

        /// The payloads hold ID and phone numbers in clear: the journal keeps a keyed digest of them.
        var digest: Method.RequestDigest { .keyed { [key] in key.requestDigest($0) } }

        var registerHousehold: MethodSpec {
            Method.mutation(RPC.Households.registerHousehold, store: store, readsFile: true, digest: digest, plan: { _, request in
                var bad: [FieldViolation] = []
                let entry = HouseholdMapping.entry(request.household, date: request.date, reason: request.reason, today: context.today, into: &bad)
                bad += registrationViolations(entry)
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "household") }
                return .stewardship(.registerHousehold(entry, key: key))
            }, respond: HouseholdMapping.answer)
        }

        /// Every problem of a new household's fields, the village's level included (it reads the store).
        func registrationViolations(_ entry: HouseholdEntry) -> [FieldViolation] {
            var bad = HouseholdRules.violations(entry, isNew: true, today: context.today)
            if entry.villageCode.count == 12, let place = store.adminUnit(code: entry.villageCode), place.level != .village {
                bad.append(.init(field: "household.village_code", description: "is a \(place.level.rawValue), not a village; households are registered in their village"))
            } else if entry.villageCode.count == 12, store.adminUnit(code: entry.villageCode) == nil {
                bad.append(.init(field: "household.village_code", description: "no admin unit \(entry.villageCode) exists"))
            }
            return bad
        }

        var importHouseholds: MethodSpec {
            Method.staged(RPC.Households.importHouseholds, store: store, readsFile: true, digest: digest, plan: { _, request in
                var bad: [FieldViolation] = []
                var entries: [HouseholdEntry] = []
                // The shared date once, not once a row.
                let date = Decode.date(request.date, field: "date", required: false, into: &bad)?.description ?? ""
                for (index, household) in request.households.enumerated() {
                    var rowBad: [FieldViolation] = []
                    var entry = HouseholdMapping.entry(household, date: date, reason: request.reason, today: context.today, into: &rowBad)
                    if !household.id.isEmpty { rowBad.append(.init(field: "household.id", description: "\(household.id) is registered already; an import adds new households (UpdateHousehold changes one)")) }
                    entry.id = ""
                    rowBad += registrationViolations(entry)
                    bad += rowBad.map { violation -> FieldViolation in
                        if violation.field.hasPrefix("household") { return .init(field: "households[\(index)]" + violation.field.dropFirst("household".count), description: violation.description) }
                        // The shared fields (date, reason) once, on the first row.
                        return .init(field: violation.field, description: violation.description)
                    }
                    entries.append(entry)
                }
                if request.households.isEmpty { bad.append(.init(field: "households", description: "the import has no rows")) }
                var seen: Set<String> = []
                bad = bad.filter { seen.insert($0.field + "\u{0}" + $0.description).inserted }
                if !bad.isEmpty {
                    let rows = Set(bad.filter { $0.field.hasPrefix("households[") }.map { $0.field.prefix { $0 != "]" } }).count
                    throw LedgerError(.invalidArgument, "\(rows) of \(request.households.count) rows are invalid; nothing was registered; see violations",
                                      violations: Array(bad.prefix(1_000)))
                }
                // Through the rules even for validate_only (a person twice, one registered already, a village outside the scope); then nothing is written.
                return .submit(.stewardship(.registerHouseholds(entries, key: key, validateOnly: request.validateOnly)))
            }, respond: { outcome in
                guard case .stewardships(let records) = outcome else { return Taizhang_Household_V1_ImportHouseholdsResponse() }
                return .with { response in
                    response.rows = UInt64(records.count)
                    response.households = records.compactMap { record in if case .household(let household) = record { HouseholdMapping.household(household) } else { nil } }
                }
            })
        }

        var updateHousehold: MethodSpec {
            Method.mutation(RPC.Households.updateHousehold, store: store, readsFile: true, digest: digest, plan: { _, request in
                var bad: [FieldViolation] = []
                if request.household.id.isEmpty { bad.append(.init(field: "household.id", description: "is required: the household (HH…) to change")) }
                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the version you read")) }
                var entry = HouseholdMapping.entry(request.household, date: request.date, reason: request.reason, today: context.today, into: &bad)
                entry.removePhone = request.removePhone
                bad += HouseholdRules.violations(entry, isNew: false, today: context.today)
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "household") }
                return .stewardship(.updateHousehold(entry, key: key, expectedVersion: request.expectedVersion))
            }, respond: HouseholdMapping.answer)
        }

        var getHousehold: MethodSpec {
            Method.fileRead(RPC.Households.getHousehold) { _, request in
                try HouseholdMapping.household(try household(request.id, field: "id")).serializedBytes()
            }
        }

        var listHouseholds: MethodSpec {
            Method.fileRead(RPC.Households.listHouseholds) { _, request in
                var bad: [FieldViolation] = []
                if !request.adminCode.isEmpty, store.adminUnit(code: request.adminCode) == nil {
                    bad.append(.init(field: "admin_code", description: "no admin unit \(request.adminCode) exists"))
                }
                let categories: [HouseholdCategory] = request.categories.enumerated().compactMap { index, category in
                    EnumMapping.decode(category.rawValue, field: "categories[\(index)]", what: "household category", into: &bad)
                }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let filter = StewardshipFilter(.household, adminCode: request.adminCode, states: categories.isEmpty ? nil : categories.map(\.rawValue))
                let page = try LedgerService.stewardshipPage(store, filter, size: request.pageSize, token: request.pageToken)
                var response = Taizhang_Household_V1_ListHouseholdsResponse()
                response.households = page.records.compactMap { record in
                    if case .household(let household) = record { HouseholdMapping.household(household) } else { nil }
                }
                response.nextPageToken = page.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(page.total)
                return try response.serializedBytes()
            }
        }

        var revealHouseholds: MethodSpec {
            Method.journaledRead(RPC.Households.revealHouseholds, store: store) { _, request in
                var bad: [FieldViolation] = []
                if request.ids.isEmpty { bad.append(.init(field: "ids", description: "name the households (HH…) whose numbers you need")) }
                let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
                if reason.isEmpty { bad.append(.init(field: "reason", description: "say why the numbers are needed: it is kept in the audit journal")) }
                if reason.utf8.count > StewardshipLimits.nameMaxBytes * 3 {
                    bad.append(.init(field: "reason", description: "at most \(StewardshipLimits.nameMaxBytes * 3) bytes"))
                }
                if Set(request.ids).count != request.ids.count { bad.append(.init(field: "ids", description: "names a household twice")) }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "request") }
                let households = try request.ids.enumerated().map { index, id in try household(id, field: "ids[\(index)]") }
                // Opened before the journal entry: a value that does not open
                // (another key, an edited row) fails the call unjournaled.
                let revealed = try households.map { try HouseholdMapping.revealed($0, key: key) }
                let fields = households.contains { !$0.phoneSealed.isEmpty } ? ["id_number", "phone"] : ["id_number"]
                let mutation = TaizhangCore.Mutation.notePersonalDataRead(householdIds: households.map(\.id), fields: fields, reason: reason)
                return (mutation, answer: {
                    var response = Taizhang_Household_V1_RevealHouseholdsResponse()
                    response.households = revealed
                    return response
                })
            }
        }

        var recordVisit: MethodSpec {
            Method.mutation(RPC.Households.recordVisit, store: store, readsFile: true, plan: { _, request in
                var bad: [FieldViolation] = []
                let proto = request.visit
                if proto.householdID.isEmpty { bad.append(.init(field: "visit.household_id", description: "is required: the household visited (HH…)")) }
                if proto.planID.isEmpty { bad.append(.init(field: "visit.plan_id", description: "is required: the plan whose payment was checked (FP…)")) }
                let date = Decode.date(proto.date, field: "visit.date", required: false, into: &bad) ?? context.today
                for (field, text) in [("visit.inspector", proto.inspector), ("visit.asked", proto.asked), ("visit.notes", proto.notes)] {
                    StewardshipMapping.checkText(text, field: field, into: &bad)
                }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "visit") }
                return .stewardship(.recordVisit(HouseholdVisit(householdId: proto.householdID, planId: proto.planID, date: date, inspector: proto.inspector,
                                                                asked: proto.asked, paymentConfirmed: proto.paymentConfirmed,
                                                                signaturesMatch: proto.signaturesMatch, notes: proto.notes)))
            }, respond: { outcome in
                guard case .stewardship(.visit(let visit)) = outcome else { return Taizhang_Household_V1_Visit() }
                return HouseholdMapping.visit(visit)
            })
        }

        var listVisits: MethodSpec {
            Method.fileRead(RPC.Households.listVisits) { _, request in
                if !request.adminCode.isEmpty, store.adminUnit(code: request.adminCode) == nil {
                    throw LedgerError.invalid([.init(field: "admin_code", description: "no admin unit \(request.adminCode) exists")], what: "filter")
                }
                let filter = StewardshipFilter(.visit, adminCode: request.adminCode, states: request.disputedOnly ? ["disputed"] : nil)
                let page = try LedgerService.stewardshipPage(store, filter, size: request.pageSize, token: request.pageToken)
                var response = Taizhang_Household_V1_ListVisitsResponse()
                response.visits = page.records.compactMap { record in if case .visit(let visit) = record { HouseholdMapping.visit(visit) } else { nil } }
                response.nextPageToken = page.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(page.total)
                return try response.serializedBytes()
            }
        }

        func household(_ id: String, field: String) throws -> Household {
            guard !id.isEmpty else { throw LedgerError.invalid([.init(field: field, description: "is required: a household (HH…)")], what: "request") }
            guard case .household(let household)? = try store.stewardshipRecord(.household, id: id) else {
                throw LedgerError(.notFound, "no household \(id) exists", violations: [.init(field: field, description: "not found")])
            }
            return household
        }
    }
}

/// Households between the core and the wire.
enum HouseholdMapping {
    /// A caller's household as an entry, and in `bad` what of it does not
    /// decode (an unset enum stands in as its first value meanwhile, so the
    /// rest is still checked: every bad field is listed at once).
    static func entry(_ proto: Taizhang_Household_V1_Household, date: String, reason: String, today: CivilDate,
                      into bad: inout [FieldViolation]) -> HouseholdEntry {
        let labour: LabourCapacity = EnumMapping.decode(proto.labourCapacity.rawValue, field: "household.labour_capacity", what: "labour capacity", into: &bad) ?? .full
        let category: HouseholdCategory = EnumMapping.decode(proto.category.rawValue, field: "household.category", what: "household category", into: &bad) ?? .lifted
        let on = Decode.date(date, field: "date", required: false, into: &bad) ?? today
        return HouseholdEntry(id: proto.id, villageCode: proto.villageCode, headName: proto.headName, idNumber: proto.idNumber, phone: proto.phone,
                              members: proto.members.map { HouseholdMember(name: $0.name, relation: $0.relation) },
                              labourCapacity: labour, category: category, on: on, reason: reason)
    }

    /// A household as answered: its numbers masked.
    static func household(_ household: Household) -> Taizhang_Household_V1_Household {
        var proto = Taizhang_Household_V1_Household()
        proto.id = household.id
        proto.villageCode = household.villageCode
        proto.headName = household.headName
        proto.idNumber = household.idNumberMasked
        proto.phone = household.phoneMasked
        proto.members = household.members.map { member in
            var out = Taizhang_Household_V1_HouseholdMember()
            (out.name, out.relation) = (member.name, member.relation)
            return out
        }
        proto.labourCapacity = Taizhang_Household_V1_LabourCapacity(rawValue: EnumMapping.encode(household.labourCapacity)) ?? .unspecified
        proto.category = Taizhang_Household_V1_HouseholdCategory(rawValue: EnumMapping.encode(household.category)) ?? .unspecified
        proto.registeredOn = household.registeredOn.description
        proto.changes = household.changes.map { change in
            var out = Taizhang_Household_V1_HouseholdChange()
            (out.date, out.what, out.reason) = (change.date.description, change.what, change.reason)
            return out
        }
        proto.version = household.version
        proto.createdAt = household.createdAt
        proto.updatedAt = household.updatedAt
        proto.size = Int32(household.size)
        return proto
    }

    /// A household with its numbers in clear.
    static func revealed(_ household: Household, key: PersonalDataKey) throws -> Taizhang_Household_V1_Household {
        var proto = Self.household(household)
        do {
            proto.idNumber = try key.open(household.idNumberSealed, household: household.id, field: "id_number")
            proto.phone = try key.open(household.phoneSealed, household: household.id, field: "phone")
        } catch {
            throw LedgerError(.dataLoss, "household \(household.id)'s sealed numbers do not open with this daemon's personal-data key (\(error)): the key file is not the one they were sealed with, or the row was changed behind the daemon's back; run taizhang audit verify")
        }
        proto.revealed = true
        return proto
    }

    /// A visit as answered.
    static func visit(_ visit: HouseholdVisit) -> Taizhang_Household_V1_Visit {
        var out = Taizhang_Household_V1_Visit()
        (out.id, out.householdID, out.planID, out.date) = (visit.id, visit.householdId, visit.planId, visit.date.description)
        (out.inspector, out.asked, out.notes) = (visit.inspector, visit.asked, visit.notes)
        (out.paymentConfirmed, out.signaturesMatch, out.disputed) = (visit.paymentConfirmed, visit.signaturesMatch, visit.disputed)
        (out.villageCode, out.headName, out.version, out.createdAt) = (visit.villageCode, visit.headName, visit.version, visit.createdAt)
        return out
    }

    /// The answer to a registration or a change.
    @Sendable static func answer(_ outcome: MutationOutcome) -> Taizhang_Household_V1_Household {
        guard case .stewardship(.household(let record)) = outcome else { return Taizhang_Household_V1_Household() }
        return household(record)
    }
}
