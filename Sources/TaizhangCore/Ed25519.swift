// Ed25519 (RFC 8032) signatures over the journal's tree heads (issue 24),
// computed by OpenSSL's libcrypto, which the chain's SHA-256 already uses:
// no second cryptographic library in the binaries.

import CCrypto

/// Why a key or a signature cannot be used.
public struct Ed25519Error: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A signing key: its 32-byte seed (the private key of RFC 8032 §5.1.5).
public struct Ed25519SigningKey: Sendable {
    public static let seedLength = 32
    private let seed: [UInt8]
    /// The public key, 32 bytes.
    public let publicKey: Ed25519PublicKey

    public init(seed: [UInt8]) throws {
        guard seed.count == Self.seedLength else {
            throw Ed25519Error("an Ed25519 private key is \(Self.seedLength) bytes; this one is \(seed.count)")
        }
        self.seed = seed
        let key = try Ed25519SigningKey.withKey(seed) { key in
            var bytes = [UInt8](repeating: 0, count: 32)
            var length = 32
            guard EVP_PKEY_get_raw_public_key(key, &bytes, &length) == 1, length == 32 else {
                throw Ed25519Error("libcrypto could not derive the Ed25519 public key")
            }
            return bytes
        }
        publicKey = try Ed25519PublicKey(bytes: key)
    }

    /// A fresh key from the system's generator (the kernel's getrandom).
    public static func generate() -> Ed25519SigningKey {
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<seedLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // 32 bytes always make a key.
        return try! Ed25519SigningKey(seed: seed)
    }

    /// The 64-byte signature of `message`.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        try Ed25519SigningKey.withKey(seed) { key in
            guard let context = EVP_MD_CTX_new() else { throw Ed25519Error("libcrypto could not allocate a signing context") }
            defer { EVP_MD_CTX_free(context) }
            var signature = [UInt8](repeating: 0, count: 64)
            var length = 64
            let signed = EVP_DigestSignInit(context, nil, nil, nil, key) == 1
                && message.withUnsafeBufferPointer { EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) } == 1
            guard signed, length == 64 else { throw Ed25519Error("libcrypto could not sign with Ed25519") }
            return signature
        }
    }

    private static func withKey<T>(_ seed: [UInt8], _ body: (OpaquePointer) throws -> T) throws -> T {
        guard let key = seed.withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }) else {
            throw Ed25519Error("libcrypto refused the Ed25519 private key")
        }
        defer { EVP_PKEY_free(key) }
        return try body(key)
    }
}

/// A public key: 32 bytes, written `ed25519:<base64>`.
public struct Ed25519PublicKey: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw Ed25519Error("an Ed25519 public key is 32 bytes; this one is \(bytes.count)") }
        self.bytes = bytes
    }

    /// `ed25519:<base64 of the 32 bytes>`, as `taizhang audit key` prints it.
    public init(text: String) throws {
        guard text.hasPrefix("ed25519:"), let bytes = Base64.decode(String(text.dropFirst("ed25519:".count))) else {
            throw Ed25519Error("a key is written ed25519:<base64 of 32 bytes> (as `taizhang audit key` prints it), not \"\(text.prefix(80))\"")
        }
        try self.init(bytes: bytes)
    }

    public var description: String { "ed25519:" + Base64.encode(bytes) }

    /// Whether `signature` is this key's signature of `message`.
    public func verifies(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64,
              let key = bytes.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }) else {
            return false
        }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { return false }
        return signature.withUnsafeBufferPointer { signed in
            message.withUnsafeBufferPointer { EVP_DigestVerify(context, signed.baseAddress, signed.count, $0.baseAddress, $0.count) }
        } == 1
    }
}

/// Standard base64 (RFC 4648 §4), with padding.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes, or nil when `text` is not canonical padded base64.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < characters.count {
            var value = 0
            var padding = 0
            for position in 0..<4 {
                let character = characters[index + position]
                if character == UInt8(ascii: "=") {
                    // Padding only at the very end, one or two of it.
                    guard index + 4 == characters.count, position >= 2 else { return nil }
                    padding += 1
                    continue
                }
                guard padding == 0, let digit = alphabet.firstIndex(of: character) else { return nil }
                value |= digit << (18 - 6 * position)
            }
            let decoded = [UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
            out.append(contentsOf: decoded.prefix(3 - padding))
            index += 4
        }
        // Canonical: re-encoding gives the same text.
        return encode(out) == text ? out : nil
    }
}
