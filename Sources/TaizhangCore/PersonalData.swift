// Households' personal data (issue 23): the resident ID number 公民身份号码
// (GB 11643-1999) and the phone number, their checks and their masks.
// Messages name positions, never the number: a refused ID must not end up
// whole in an answer or a log line.

/// The citizen ID number 公民身份号码 (GB 11643-1999): a 6-digit address
/// code, the birth date YYYYMMDD, a 3-digit sequence and a check character.
public enum ResidentID {
    /// The weights of positions 1…17 (2^(17−i) mod 11).
    public static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    /// The check character for a weighted sum mod 11.
    public static let checkCharacters = Array("10X98765432")
    /// The first two digits of the address codes in use (GB/T 2260: provinces,
    /// autonomous regions, municipalities; 71 Taiwan, 81 Hong Kong, 82 Macao,
    /// 83 the residence permits of Taiwan compatriots).
    public static let provinceCodes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    ]

    /// The check character (position 18) for the first 17 digits, or nil when
    /// one is not a digit.
    public static func checkCharacter(for first17: [Character]) -> Character? {
        guard first17.count == 17 else { return nil }
        var sum = 0
        for (index, character) in first17.enumerated() {
            guard character.isASCII, let digit = character.wholeNumberValue else { return nil }
            sum += digit * weights[index]
        }
        return checkCharacters[sum % 11]
    }

    /// Why `number` is not a valid ID number, naming the wrong position (and
    /// never repeating the number); nil when valid. `today` bounds the birth date.
    public static func problem(with number: String, today: CivilDate) -> String? {
        // 18 ASCII bytes (nearly every number given): checked on the bytes,
        // with the same answers as the characters' walk below (an import
        // checks 10,000 in one call).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(18)
        for byte in number.utf8 {
            guard bytes.count < 18, byte < 0x80 else { return problem(characters: number, today: today) }
            bytes.append(byte)
        }
        guard bytes.count == 18 else { return problem(characters: number, today: today) }
        func digit(_ index: Int) -> Int? { (48...57).contains(bytes[index]) ? Int(bytes[index]) - 48 : nil }
        for index in 0..<17 where digit(index) == nil {
            return "position \(index + 1) must be a digit (only position 18 may be X)"
        }
        let last = bytes[17]
        guard digit(17) != nil || last == UInt8(ascii: "X") || last == UInt8(ascii: "x") else {
            return "position 18 (the check character) must be a digit or X"
        }
        let number = { (from: Int, count: Int) in (from..<from + count).reduce(0) { $0 * 10 + digit($1)! } }
        guard provinceNumbers.contains(number(0, 2)) else {
            return "positions 1–2 are not a province's code (GB/T 2260); the address code is mistyped"
        }
        guard let birth = CivilDate(year: number(6, 4), month: number(10, 2), day: number(12, 2)) else {
            return "positions 7–14 (the birth date YYYYMMDD) are not a real date"
        }
        guard birth <= today else {
            return "positions 7–14 (the birth date) are after today"
        }
        let sum = (0..<17).reduce(0) { $0 + digit($1)! * weights[$1] }
        if (last == UInt8(ascii: "x") ? UInt8(ascii: "X") : last) != checkBytes[sum % 11] {
            return "position 18 (the check character) does not match the first 17 digits; a digit is mistyped"
        }
        return nil
    }

    /// `provinceCodes` as numbers, and the check characters as bytes.
    static let provinceNumbers: Set<Int> = Set(provinceCodes.compactMap { Int($0) })
    static let checkBytes: [UInt8] = Array("10X98765432".utf8)

    /// The problem of a number that is not 18 ASCII characters, walking its characters.
    static func problem(characters number: String, today: CivilDate) -> String? {
        let characters = Array(number)
        guard characters.count == 18 else {
            return "must be 18 characters (公民身份号码, GB 11643-1999); got \(characters.count)"
        }
        for index in 0..<17 where !(characters[index].isASCII && characters[index].isNumber) {
            return "position \(index + 1) must be a digit (only position 18 may be X)"
        }
        let last = characters[17]
        guard last.isASCII && (last.isNumber || last == "X" || last == "x") else {
            return "position 18 (the check character) must be a digit or X"
        }
        guard provinceCodes.contains(String(characters[0..<2])) else {
            return "positions 1–2 are not a province's code (GB/T 2260); the address code is mistyped"
        }
        let year = Int(String(characters[6..<10]))!, month = Int(String(characters[10..<12]))!, day = Int(String(characters[12..<14]))!
        guard let birth = CivilDate(year: year, month: month, day: day) else {
            return "positions 7–14 (the birth date YYYYMMDD) are not a real date"
        }
        guard birth <= today else {
            return "positions 7–14 (the birth date) are after today"
        }
        let expected = checkCharacter(for: Array(characters.prefix(17)))!
        if (last == "x" ? "X" : last) != expected {
            return "position 18 (the check character) does not match the first 17 digits; a digit is mistyped"
        }
        return nil
    }

    /// The number as stored: the check character X in capitals.
    public static func normalized(_ number: String) -> String { number.uppercased() }

    /// "4210**********1234": the first 4 and last 4 characters, the rest as
    /// stars (the address's province and city, never the birth date).
    public static func masked(_ number: String) -> String { PersonalData.mask(number, keepFirst: 4, keepLast: 4) }
}

/// Phone numbers: an 11-digit mobile number, or a fixed line with its area code.
public enum PhoneNumber {
    /// Why `number` is not a phone number; nil when it is one.
    public static func problem(with number: String) -> String? {
        let characters = Array(number)
        if characters.count == 11, characters.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return characters[0] == "1" && ("3"..."9").contains(characters[1]) ? nil : "an 11-digit mobile number starts 13–19"
        }
        let parts = number.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].first == "0", (3...4).contains(parts[0].count), (7...8).contains(parts[1].count),
           parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
            return nil
        }
        return "must be an 11-digit mobile number (13812345678) or a fixed line with its area code (0713-1234567)"
    }

    /// "138****5678": the first 3 and last 4 characters.
    public static func masked(_ number: String) -> String { PersonalData.mask(number, keepFirst: 3, keepLast: 4) }
}

/// Masks for personal data.
public enum PersonalData {
    /// `text` with all but its first `keepFirst` and last `keepLast` characters
    /// as stars; all stars when it is too short to keep both.
    public static func mask(_ text: String, keepFirst: Int, keepLast: Int) -> String {
        let characters = Array(text)
        guard characters.count > keepFirst + keepLast else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(keepFirst)) + String(repeating: "*", count: characters.count - keepFirst - keepLast)
            + String(characters.suffix(keepLast))
    }
}
