// QR codes on printed pages (issue 24): the symbol made by libqrencode
// (ISO/IEC 18004, UTF-8 in byte mode behind an ECI, error correction M), drawn as a PNG (8-bit
// grey, zlib stored blocks: no compressor needed for a few kilobytes) and
// put into the page as a data: URI, so the page prints with no other file.

import CQRencode
import Foundation

/// Why a QR code could not be made.
public struct QRCodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// A QR symbol: its modules, dark or light, row by row.
public struct QRCode: Sendable {
    public let size: Int
    public let dark: [Bool]

    /// The symbol of `text`'s UTF-8 bytes (at most 1,000: a page's codes are short).
    public init(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 1_000 else {
            throw QRCodeError(description: "a QR code holds 1 to 1,000 bytes here, not \(bytes.count)")
        }
        // An ECI designator (26: UTF-8) first, so readers do not guess the
        // bytes' encoding (zbar takes short UTF-8 for Shift JIS otherwise).
        guard let input = QRinput_new2(0, QR_ECLEVEL_M) else {
            throw QRCodeError(description: "libqrencode could not start a symbol (errno \(errno))")
        }
        defer { QRinput_free(input) }
        let appended = QRinput_appendECIheader(input, 26) == 0
            && bytes.withUnsafeBufferPointer({ QRinput_append(input, QR_MODE_8, Int32($0.count), $0.baseAddress) }) == 0
        guard appended, let code = QRcode_encodeInput(input) else {
            throw QRCodeError(description: "libqrencode could not encode \(bytes.count) bytes (errno \(errno))")
        }
        defer { QRcode_free(code) }
        size = Int(code.pointee.width)
        // Bit 0 of each module's byte: dark.
        dark = (0..<size * size).map { code.pointee.data[$0] & 1 == 1 }
    }

    /// The symbol as a PNG, `scale` pixels a module, with the quiet zone
    /// of four modules the standard asks for: 1 bit a pixel, so a page's
    /// code is about a kilobyte (the page scales it up, pixelated).
    public func png(scale: Int = 2) -> [UInt8] {
        let border = 4
        let side = (size + 2 * border) * scale
        let rowBytes = (side + 7) / 8
        var pixels: [UInt8] = []
        pixels.reserveCapacity(side * (rowBytes + 1))
        for y in 0..<side {
            pixels.append(0)  // filter: none
            let row = y / scale - border
            var packed = [UInt8](repeating: 0, count: rowBytes)
            for x in 0..<side {
                let column = x / scale - border
                let isDark = row >= 0 && row < size && column >= 0 && column < size && dark[row * size + column]
                // Grey 1 is white: a light pixel sets its bit, most significant first.
                if !isDark { packed[x / 8] |= 0x80 >> UInt8(x % 8) }
            }
            pixels += packed
        }
        var header: [UInt8] = []
        header += PNG.bigEndian(UInt32(side)) + PNG.bigEndian(UInt32(side))
        header += [1, 0, 0, 0, 0]  // 1-bit grey, deflate, no filter method choice, no interlace
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + PNG.chunk("IHDR", header) + PNG.chunk("IDAT", PNG.zlibStored(pixels)) + PNG.chunk("IEND", [])
    }

    /// The PNG as a data: URI for an <img>.
    public func dataURI(scale: Int = 2) -> String {
        "data:image/png;base64," + Data(png(scale: scale)).base64EncodedString()
    }
}

enum PNG {
    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    /// zlib (RFC 1950) around deflate's stored blocks (RFC 1951 §3.2.4).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out += [final, UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + bigEndian(b << 16 | a)
    }
}
