// Households' personal data: the GB 11643 ID check, the masks, and the
// AES-256-GCM seal (against the GCM specification's test case 16).

import Testing
@testable import TaizhangCore

struct ResidentIDTests {
    let today = CivilDate(year: 2026, month: 12, day: 7)!

    @Test(arguments: ["11010519491231002X", "11010519491231002x", "421024198001011235", "421024195603140022", "42102420101231456X"])
    func valid_numbersPass(number: String) {
        #expect(ResidentID.problem(with: number, today: today) == nil)
    }

    @Test(arguments: [
        ("42102419800101123", "must be 18 characters"),
        ("4210241980010112355", "must be 18 characters"),
        ("42102A198001011235", "position 6 must be a digit"),
        ("42102419800101123Y", "position 18 (the check character) must be a digit or X"),
        ("991024198001011232", "positions 1–2 are not a province's code"),
        ("421024198002301230", "positions 7–14 (the birth date YYYYMMDD) are not a real date"),
        ("421024202712011234", "positions 7–14 (the birth date) are after today"),
        ("421024198001011236", "position 18 (the check character) does not match"),
    ])
    func invalid_numbersNameThePositionAndNeverTheNumber(number: String, expected: String) {
        let problem = ResidentID.problem(with: number, today: today)
        #expect(problem?.contains(expected) == true, "\(problem ?? "nil")")
        #expect(problem?.contains(number) == false)
        #expect(problem?.contains(String(number.prefix(10))) == false)
    }

    @Test func aSingleMistypedDigitIsAlwaysCaught() {
        let valid = Array("421024198001011235")
        for position in 0..<17 {
            for digit in "0123456789" where digit != valid[position] {
                var changed = valid
                changed[position] = digit
                #expect(ResidentID.problem(with: String(changed), today: today) != nil, "position \(position + 1) → \(digit)")
            }
        }
    }

    @Test func masks_keepTheEndsOnly() {
        #expect(ResidentID.masked("421024198001011235") == "4210**********1235")
        #expect(PhoneNumber.masked("13812345678") == "138****5678")
        #expect(PhoneNumber.masked("0713-1234567") == "071*****4567")
        #expect(PersonalData.mask("1234567", keepFirst: 4, keepLast: 4) == "*******")
        #expect(PersonalData.mask("", keepFirst: 4, keepLast: 4) == "")
    }

    @Test(arguments: [("13812345678", true), ("0713-1234567", true), ("010-12345678", true), ("12812345678", false),
                      ("1381234567", false), ("713-1234567", false), ("0713-123456", false), ("138 1234 5678", false)])
    func phoneNumbers(number: String, valid: Bool) {
        #expect((PhoneNumber.problem(with: number) == nil) == valid)
    }
}

struct FieldCipherTests {
    static func bytes(_ hex: String) -> [UInt8] { TaizhangCore.bytes(hex: hex)! }

    /// McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16
    /// (AES-256, 96-bit IV, with additional data).
    @Test func seal_matchesTheGCMSpecificationsTestCase16() throws {
        let cipher = try FieldCipher(key: Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = Self.bytes("cafebabefacedbaddecaf888")
        let plaintext = Self.bytes("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = Self.bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealed = cipher.seal(plaintext, aad: aad, nonce: nonce)
        #expect(sealed.first == FieldCipher.formatVersion)
        #expect(Array(sealed[1...12]) == nonce)
        #expect(hexString(sealed.dropFirst(13)) == "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
                + "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try cipher.open(sealed, aad: aad, context: "test") == plaintext)
    }

    @Test func openedOnlyWithItsKeyForItsPlaceAndUnchanged() throws {
        let cipher = try FieldCipher(key: FieldCipher.newKey())
        let sealed = cipher.sealText("421024198001011235", context: "household/HH00000001/id_number")
        #expect(sealed.count == 18 + FieldCipher.overhead)
        #expect(try cipher.openText(sealed, context: "household/HH00000001/id_number") == "421024198001011235")
        // Two seals of one value differ (a fresh nonce each).
        #expect(cipher.sealText("421024198001011235", context: "household/HH00000001/id_number") != sealed)
        #expect(throws: FieldCipherError.self) { try cipher.openText(sealed, context: "household/HH00000002/id_number") }
        #expect(throws: FieldCipherError.self) { try cipher.openText(sealed, context: "household/HH00000001/phone") }
        #expect(throws: FieldCipherError.self) { try FieldCipher(key: FieldCipher.newKey()).openText(sealed, context: "household/HH00000001/id_number") }
        for index in sealed.indices {
            var changed = sealed
            changed[index] ^= 0x01
            #expect(throws: FieldCipherError.self) { try cipher.open(changed, context: "household/HH00000001/id_number") }
        }
        #expect(throws: FieldCipherError.self) { try cipher.open(Array(sealed.prefix(20)), context: "household/HH00000001/id_number") }
        #expect(try cipher.openText([], context: "x") == "")
        #expect(throws: FieldCipherError.self) { try FieldCipher(key: [1, 2, 3]) }
    }
}

struct HouseholdRulesTests {
    static let key = try! PersonalDataKey(secret: FieldCipher.newKey())

    static func entry(_ idNumber: String = "421024198001011235", village: String = RuleLedger.baima, id: String = "",
                      category: HouseholdCategory = .lifted, phone: String = "13812345678") -> HouseholdEntry {
        HouseholdEntry(id: id, villageCode: village, headName: "张桂英", idNumber: idNumber, phone: phone,
                       members: [HouseholdMember(name: "李德福", relation: "配偶")], labourCapacity: .none, category: category,
                       on: CivilDate("2026-03-01")!, reason: "识别纳入")
    }

    @Test func registered_sealedForItsPlace_maskedAndFoundByDigest() throws {
        var ledger = try RuleLedger.seeded()
        let change = try ledger.decide(.stewardship(.registerHousehold(Self.entry(), key: Self.key)))
        guard case .stewardship(.household(let household)) = change.outcome else { Issue.record("no household"); return }
        #expect(household.id == "HH00000001" && household.idNumberMasked == "4210**********1235" && household.phoneMasked == "138****5678")
        #expect(!household.idNumberSealed.contains("421024198001011235") && household.idDigest == Self.key.digest(idNumber: "421024198001011235"))
        #expect(try Self.key.open(household.idNumberSealed, household: "HH00000001", field: "id_number") == "421024198001011235")
        #expect(throws: FieldCipherError.self) { try Self.key.open(household.idNumberSealed, household: "HH00000002", field: "id_number") }
        // The same person again, anywhere: refused; a lower-case x is the same number.
        let again = ledger.refusal(.stewardship(.registerHousehold(Self.entry(village: RuleLedger.xinhe), key: Self.key)))
        #expect(again?.code == .alreadyExists && again?.message.contains("HH00000001") == true)
        _ = try ledger.decide(.stewardship(.registerHousehold(Self.entry("11010519491231002x", phone: ""), key: Self.key)))
        #expect(ledger.refusal(.stewardship(.registerHousehold(Self.entry("11010519491231002X"), key: Self.key)))?.code == .alreadyExists)
    }

    @Test func refusals_listEveryBadField_andScopeHidesTheHolder() throws {
        var ledger = try RuleLedger.seeded()
        var bad = Self.entry("421024198001011236", village: RuleLedger.township, phone: "123")
        bad.headName = "  "
        bad.reason = ""
        let refusal = ledger.refusal(.stewardship(.registerHousehold(bad, key: Self.key)))
        #expect(refusal?.code == .invalidArgument)
        #expect(Set(refusal?.violations.map(\.field) ?? []) == ["household.village_code", "household.head_name", "household.id_number", "household.phone", "household.reason"])
        // Someone of another village's scope registering a number held in 白马村 is told it exists, not where.
        _ = try ledger.decide(.stewardship(.registerHousehold(Self.entry(), key: Self.key)))
        let scoped = RuleLedger.caller(scope: [RuleLedger.xinhe])
        let hidden = ledger.refusal(.stewardship(.registerHousehold(Self.entry(village: RuleLedger.xinhe), key: Self.key)), as: scoped)
        #expect(hidden?.code == .alreadyExists && hidden?.message.contains("HH00000001") == false)
    }

    @Test func changes_areDatedWithTheirReason_andANoOpIsRefused() throws {
        var ledger = try RuleLedger.seeded()
        _ = try ledger.decide(.stewardship(.registerHousehold(Self.entry(), key: Self.key)))
        var change = Self.entry("", id: "HH00000001", category: .suddenHardship, phone: "13812345678")
        change.on = CivilDate("2026-07-20")!
        change.reason = "洪灾"
        let changed = try ledger.decide(.stewardship(.updateHousehold(change, key: Self.key, expectedVersion: 1)))
        guard case .stewardship(.household(let household)) = changed.outcome else { Issue.record("no household"); return }
        // The same phone given again is no change; the category is.
        #expect(household.changes.last?.what == "类别：脱贫户 → 突发严重困难户" && household.version == 2)
        #expect(ledger.refusal(.stewardship(.updateHousehold(change, key: Self.key, expectedVersion: 2)))?.code == .failedPrecondition)
        #expect(ledger.refusal(.stewardship(.updateHousehold(change, key: Self.key, expectedVersion: 1)))?.code == .aborted)
        var moved = change
        moved.villageCode = RuleLedger.xinhe
        moved.category = .lifted
        #expect(ledger.refusal(.stewardship(.updateHousehold(moved, key: Self.key, expectedVersion: 0)))?.violations.map(\.field) == ["household.village_code"])
    }
}
