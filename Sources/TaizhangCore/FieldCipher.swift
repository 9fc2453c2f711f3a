// Encryption of personal data at rest (issue 23): AES-256-GCM by OpenSSL's
// libcrypto (already linked for SHA-256). Each value is sealed with its own
// random 96-bit nonce and bound to where it belongs (the record and field as
// additional data), so a sealed value copied onto another row or field does
// not open there.

import CCrypto

/// Why a sealed value could not be opened or a key used.
public struct FieldCipherError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A 256-bit key and the seal and open of short values with it.
public struct FieldCipher: Sendable {
    /// The first byte of a sealed value: the format (AES-256-GCM, 12-byte nonce, 16-byte tag).
    public static let formatVersion: UInt8 = 1
    public static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16
    /// The bytes a sealed value adds to its plaintext.
    public static let overhead = 1 + nonceLength + tagLength

    private let key: [UInt8]

    /// A cipher with a 32-byte key.
    public init(key: [UInt8]) throws {
        guard key.count == Self.keyLength else {
            throw FieldCipherError("a personal-data key is \(Self.keyLength) bytes; this one is \(key.count)")
        }
        self.key = key
    }

    /// A fresh random key (the kernel's getrandom through the system generator).
    public static func newKey() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `plaintext` sealed for `context` (say "household/HH00000001/id_number").
    public func seal(_ plaintext: [UInt8], context: String) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        // Two draws of 64 bits (each a getrandom call), not one per byte.
        let (high, low) = (generator.next(), generator.next())
        let nonce = (0..<Self.nonceLength).map { index in UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (8 * UInt64(index % 8))) }
        return seal(plaintext, context: context, nonce: nonce)
    }

    /// Sealing with a given nonce: for the tests' known-answer vectors only
    /// (a nonce must never repeat under one key).
    public func seal(_ plaintext: [UInt8], context: String, nonce: [UInt8]) -> [UInt8] {
        seal(plaintext, aad: Array(context.utf8), nonce: nonce)
    }

    func seal(_ plaintext: [UInt8], aad: [UInt8], nonce: [UInt8]) -> [UInt8] {
        precondition(nonce.count == Self.nonceLength)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        let ctx = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(ctx) }
        var length: Int32 = 0, total: Int32 = 0
        var ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1
        ok = ok && EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1
        ok = ok && ciphertext.withUnsafeMutableBufferPointer { out in
            plaintext.withUnsafeBufferPointer { input in
                EVP_EncryptUpdate(ctx, out.baseAddress, &length, input.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(input.count)) == 1
            }
        }
        total = length
        ok = ok && ciphertext.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + Int(total), &length) == 1 }
        total += length
        ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagLength), &tag) == 1
        // These fail only when OpenSSL cannot allocate.
        precondition(ok, "libcrypto could not seal with AES-256-GCM")
        return [Self.formatVersion] + nonce + ciphertext.prefix(Int(total)) + tag
    }

    /// The plaintext of `sealed`, if it was sealed with this key for `context`
    /// and not changed since.
    public func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        try open(sealed, aad: Array(context.utf8), context: context)
    }

    func open(_ sealed: [UInt8], aad: [UInt8], context: String) throws -> [UInt8] {
        guard sealed.count >= Self.overhead, sealed[0] == Self.formatVersion else {
            throw FieldCipherError("not a sealed value of format \(Self.formatVersion)")
        }
        let nonce = Array(sealed[1...Self.nonceLength])
        let body = Array(sealed[(1 + Self.nonceLength)..<(sealed.count - Self.tagLength)])
        var tag = Array(sealed.suffix(Self.tagLength))
        var plaintext = [UInt8](repeating: 0, count: body.count + 16)
        let ctx = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(ctx) }
        var length: Int32 = 0, total: Int32 = 0
        var ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1
        ok = ok && EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1
        ok = ok && plaintext.withUnsafeMutableBufferPointer { out in
            body.withUnsafeBufferPointer { input in
                EVP_DecryptUpdate(ctx, out.baseAddress, &length, input.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(input.count)) == 1
            }
        }
        total = length
        ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagLength), &tag) == 1
        ok = ok && plaintext.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + Int(total), &length) == 1 }
        guard ok else {
            throw FieldCipherError("a sealed value does not open with this key for \(context): another key, another row, or changed")
        }
        total += length
        return Array(plaintext.prefix(Int(total)))
    }

    /// Seals text; "" stays empty (no value is not a secret).
    public func sealText(_ text: String, context: String) -> [UInt8] {
        text.isEmpty ? [] : seal(Array(text.utf8), context: context)
    }

    /// Opens text sealed by `sealText`.
    public func openText(_ sealed: [UInt8], context: String) throws -> String {
        if sealed.isEmpty { return "" }
        guard let text = String(validating: try open(sealed, context: context), as: UTF8.self) else {
            throw FieldCipherError("a sealed value for \(context) is not UTF-8 text")
        }
        return text
    }
}

/// The daemon's personal-data key (issue 23). From one 32-byte secret it
/// derives an AES-256-GCM key, which seals a household's ID and phone
/// numbers for their household and field, and an HMAC key, whose digest of
/// an ID number finds a registered household without the number being
/// stored in clear (an unkeyed hash of an 18-digit ID could be reversed by
/// trying every birth date and sequence).
public struct PersonalDataKey: Sendable {
    public let cipher: FieldCipher
    private let digestKey: [UInt8]
    private let requestKey: [UInt8]

    /// The key of a 32-byte secret.
    public init(secret: [UInt8]) throws {
        guard secret.count == FieldCipher.keyLength else {
            throw FieldCipherError("a personal-data key is \(FieldCipher.keyLength) bytes; this one is \(secret.count)")
        }
        cipher = try FieldCipher(key: HMAC.sha256(key: secret, message: Array("taizhang personal data: seal v1".utf8)))
        digestKey = HMAC.sha256(key: secret, message: Array("taizhang personal data: digest v1".utf8))
        requestKey = HMAC.sha256(key: secret, message: Array("taizhang personal data: request v1".utf8))
    }

    /// The keyed digest (64 hex digits) of a request payload that holds
    /// personal data in clear: what the journal keeps as its request_sha256.
    public func requestDigest(_ payload: [UInt8]) -> String {
        hexString(HMAC.sha256(key: requestKey, message: payload))
    }

    /// The keyed digest of an ID number (64 hex digits).
    public func digest(idNumber: String) -> String {
        hexString(HMAC.sha256(key: digestKey, message: Array(ResidentID.normalized(idNumber).utf8)))
    }

    /// `text` sealed for one field of one household, as hex; "" stays "".
    public func seal(_ text: String, household: String, field: String) -> String {
        hexString(cipher.sealText(text, context: "household/\(household)/\(field)"))
    }

    /// The text sealed by `seal`.
    public func open(_ sealed: String, household: String, field: String) throws -> String {
        guard let bytes = bytes(hex: sealed) else { throw FieldCipherError("the sealed \(field) of household \(household) is not hex") }
        return try cipher.openText(bytes, context: "household/\(household)/\(field)")
    }
}

/// The bytes of an even-length string of hex digits; nil for anything else.
public func bytes(hex text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var index = 0
    while index < digits.count {
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}
