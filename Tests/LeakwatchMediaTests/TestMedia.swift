import Foundation
import Testing

/// Media files the tests make: real images drawn by ImageMagick, PDFs and EXIF blocks written
/// byte by byte here, and hostile files.
enum TestMedia {
    static let font = "DejaVu-Sans"

    /// A phone screenshot of a chat: status bar (clock, signal, battery), app header, bubbles,
    /// input bar. `lines` are the bubbles' text.
    static func screenshot(_ path: String, lines: [String]) throws {
        var arguments = [
            "-size", "720x1280", "xc:#ECE5DD", "-font", font,
            "-fill", "#075E54", "-draw", "rectangle 0,0 720,150",
            "-fill", "white", "-pointsize", "24", "-annotate", "+24+36", "09:41", "-annotate", "+540+36", "4G  87%",
            "-pointsize", "32", "-annotate", "+24+112", "<  Team 2 Response",
            "-fill", "white", "-draw", "rectangle 0,1180 720,1280",
            "-fill", "#777777", "-pointsize", "28", "-annotate", "+40+1240", "Type a message",
        ]
        var top = 200
        for line in lines {
            arguments += [
                "-fill", "#DCF8C6", "-draw", "roundrectangle 30,\(top) 690,\(top + 80) 16,16",
                "-fill", "black", "-pointsize", "30", "-annotate", "+50+\(top + 52)", line,
                "-fill", "#777777", "-pointsize", "18", "-annotate", "+600+\(top + 72)", "14:32",
            ]
            top += 110
        }
        try convert(arguments + ["-depth", "8", path])
    }

    /// A phone photo of a printed page: text on white, turned 3°, on a brown desk, noisy, JPEG
    /// quality 60.
    static func photoOfPrintedPage(_ path: String, lines: [String]) throws {
        var arguments = ["-size", "1100x1400", "xc:white", "-font", "DejaVu-Serif", "-fill", "black"]
        var top = 140
        for (index, line) in lines.enumerated() {
            arguments += ["-pointsize", index == 0 ? "40" : "30", "-annotate", "+90+\(top)", line]
            top += 70
        }
        arguments += [
            "-background", "#4a3b2f", "-rotate", "3", "-resize", "80%", "-attenuate", "0.3", "+noise", "Gaussian",
            "-blur", "0x0.5", "-quality", "60", path,
        ]
        try convert(arguments)
    }

    /// A photo with no text in it: a plasma fractal, JPEG.
    static func plainPhoto(_ path: String, seed: Int = 7, size: String = "800x600") throws {
        try convert(["-seed", String(seed), "-size", size, "plasma:fractal", "-blur", "0x1", "-quality", "85", path])
    }

    // MARK: - EXIF

    /// `jpeg` with an EXIF block (APP1) holding a camera make and a GPS position.
    static func withGPS(_ jpeg: [UInt8], latitude: Double, longitude: Double, make: String = "Apple") -> [UInt8] {
        var tiff: [UInt8] = Array("II".utf8) + [0x2A, 0x00] + le32(8)
        let makeBytes = Array(make.utf8) + [0]
        let ifd0Size = 2 + 2 * 12 + 4
        let makeOffset = 8 + ifd0Size
        let gpsOffset = makeOffset + makeBytes.count
        let gpsSize = 2 + 4 * 12 + 4
        let latitudeOffset = gpsOffset + gpsSize
        let longitudeOffset = latitudeOffset + 24
        // IFD0: Make, then the GPS IFD pointer (tags in increasing order).
        tiff += le16(2)
        tiff += entry(tag: 0x010F, type: 2, count: makeBytes.count, value: le32(makeOffset))
        tiff += entry(tag: 0x8825, type: 4, count: 1, value: le32(gpsOffset))
        tiff += le32(0)
        tiff += makeBytes
        tiff += le16(4)
        tiff += entry(tag: 0x0001, type: 2, count: 2, value: Array((latitude < 0 ? "S" : "N").utf8) + [0, 0, 0])
        tiff += entry(tag: 0x0002, type: 5, count: 3, value: le32(latitudeOffset))
        tiff += entry(tag: 0x0003, type: 2, count: 2, value: Array((longitude < 0 ? "W" : "E").utf8) + [0, 0, 0])
        tiff += entry(tag: 0x0004, type: 5, count: 3, value: le32(longitudeOffset))
        tiff += le32(0)
        tiff += rationals(abs(latitude))
        tiff += rationals(abs(longitude))
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        let app1: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Array(jpeg[0..<2]) + app1 + Array(jpeg[2...])
    }

    private static func entry(tag: UInt16, type: UInt16, count: Int, value: [UInt8]) -> [UInt8] {
        le16(Int(tag)) + le16(Int(type)) + le32(count) + Array(value.prefix(4))
    }

    /// Degrees, minutes and seconds as three rationals (seconds to 1/10000).
    private static func rationals(_ value: Double) -> [UInt8] {
        let degrees = Int(value)
        let minutesValue = (value - Double(degrees)) * 60
        let minutes = Int(minutesValue)
        let seconds = Int(((minutesValue - Double(minutes)) * 60 * 10000).rounded())
        return le32(degrees) + le32(1) + le32(minutes) + le32(1) + le32(seconds) + le32(10000)
    }

    static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)] }
    static func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    static func be32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * (3 - $0))) & 0xFF) } }

    // MARK: - Hostile files

    /// The first half of a JPEG.
    static func truncated(_ jpeg: [UInt8]) -> [UInt8] {
        Array(jpeg.prefix(jpeg.count / 2))
    }

    /// A PNG whose header says 60,000 × 60,000 pixels (10.8 GB decoded), with a few bytes of data.
    static func pngBombHeader(width: Int = 60_000, height: Int = 60_000) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(data.count) + body + be32(Int(crc32(body)))
        }
        let header = be32(width) + be32(height) + [8, 2, 0, 0, 0]
        // A valid zlib stream of a few zero bytes (stored block).
        let zeros = [UInt8](repeating: 0, count: 16)
        let idat: [UInt8] = [0x78, 0x01, 0x01, 16, 0, 0xEF, 0xFF] + zeros + be32(Int(adler32(zeros)))
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", idat)
            + chunk("IEND", [])
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    // MARK: - PDFs

    /// A PDF from its objects (1-based numbers in order; object 1 is the catalog).
    static func pdf(_ objects: [[UInt8]]) -> [UInt8] {
        var out = Array("%PDF-1.4\n%\u{E2}\u{E3}\n".utf8)
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(out.count)
            out += Array("\(index + 1) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
        }
        let xref = out.count
        out += Array("xref\n0 \(objects.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets {
            let digits = String(offset)
            out += Array((String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n").utf8)
        }
        out += Array("trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return out
    }

    static func stream(_ dictionary: String, _ data: [UInt8]) -> [UInt8] {
        Array("<< \(dictionary) /Length \(data.count) >>\nstream\n".utf8) + data + Array("\nendstream".utf8)
    }

    /// A PDF with a text layer: one page per entry of `pages`, each line in Helvetica.
    static func textPDF(pages: [[String]]) -> [UInt8] {
        var objects: [[UInt8]] = []
        let fontNumber = 3
        var pageNumbers: [Int] = []
        var contents: [[UInt8]] = []
        for lines in pages {
            var content = "BT /F1 20 Tf 72 760 Td 26 TL\n"
            for line in lines { content += "(\(line)) Tj T*\n" }
            content += "ET"
            contents.append(Array(content.utf8))
        }
        // 1 catalog, 2 pages, 3 font, then page and content pairs.
        for index in pages.indices { pageNumbers.append(4 + 2 * index) }
        objects.append(Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        objects.append(
            Array(
                "<< /Type /Pages /Kids [\(pageNumbers.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>"
                    .utf8))
        objects.append(Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".utf8))
        for (index, content) in contents.enumerated() {
            objects.append(
                Array(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 \(fontNumber) 0 R >> >> /Contents \(pageNumbers[index] + 1) 0 R >>"
                        .utf8))
            objects.append(stream("", content))
        }
        return pdf(objects)
    }

    /// A PDF whose only page is a JPEG image (a scan): no text layer.
    static func scannedPDF(jpeg: [UInt8], width: Int, height: Int) -> [UInt8] {
        let content = Array("q 612 0 0 \(Int(612.0 * Double(height) / Double(width))) 0 0 cm /Im0 Do Q".utf8)
        return pdf([
            Array("<< /Type /Catalog /Pages 2 0 R >>".utf8),
            Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8),
            Array(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 \(Int(612.0 * Double(height) / Double(width)))] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>"
                    .utf8),
            stream("", content),
            stream(
                "/Type /XObject /Subtype /Image /Width \(width) /Height \(height) /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
                jpeg),
        ])
    }

    /// A recursion bomb: each of `depth` form XObjects draws the next one twice, the last draws
    /// text: 2^depth text draws for one page.
    static func pdfRecursionBomb(depth: Int = 40) -> [UInt8] {
        // 1 catalog, 2 pages, 3 page, 4 content, 5 font, 6... forms.
        var objects: [[UInt8]] = [
            Array("<< /Type /Catalog /Pages 2 0 R >>".utf8),
            Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8),
            Array(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X 6 0 R >> >> /Contents 4 0 R >>"
                    .utf8),
            stream("", Array("/X Do".utf8)),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".utf8),
        ]
        for level in 0..<depth {
            let number = 6 + level
            if level == depth - 1 {
                objects.append(
                    stream(
                        "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>",
                        Array("BT /F1 12 Tf 72 700 Td (boom) Tj ET".utf8)))
            } else {
                objects.append(
                    stream(
                        "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X \(number + 1) 0 R >> >>",
                        Array("/X Do /X Do".utf8)))
            }
        }
        return pdf(objects)
    }
}
