import CLeptonica

/// A decoded image: Leptonica's `PIX`, owned by this object and freed with it.
///
/// Leptonica decodes JPEG, PNG, WebP, GIF, TIFF and JPEG 2000 from memory. Decoding hostile bytes
/// is attack surface: leakwatch only does it in its media worker process, under limits.
public final class LeptonicaImage {
    /// The owned `PIX`.
    let pix: UnsafeMutablePointer<PIX>

    /// The image format Leptonica recognised in a file's first bytes.
    public enum Format: String, Sendable, Hashable, Codable {
        case jpeg, png, webp, gif, tiff, jp2, bmp, pnm, other
    }

    /// Width, height and format from the file's header, read without decoding its pixels, so a
    /// decompression bomb is refused before it costs anything.
    public struct Header: Sendable, Hashable {
        public var width: Int
        public var height: Int
        public var format: Format
        public var pixels: Int { width * height }
    }

    /// Why an image could not be decoded.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Leptonica reports failures on stderr as well as by its return values: turn that off once.
    public static func silenceMessages() {
        _ = setMsgSeverity(Int32(L_SEVERITY_NONE))
    }

    /// The header of encoded image `bytes`, or nil when Leptonica does not recognise them.
    public static func header(of bytes: [UInt8]) -> Header? {
        var format: l_int32 = 0
        var width: l_int32 = 0
        var height: l_int32 = 0
        var bitsPerSample: l_int32 = 0
        var samplesPerPixel: l_int32 = 0
        var colormapped: l_int32 = 0
        let status = bytes.withUnsafeBufferPointer { buffer in
            pixReadHeaderMem(
                buffer.baseAddress, buffer.count, &format, &width, &height, &bitsPerSample, &samplesPerPixel,
                &colormapped)
        }
        guard status == 0, width > 0, height > 0 else { return nil }
        return Header(width: Int(width), height: Int(height), format: Self.format(format))
    }

    private static func format(_ code: l_int32) -> Format {
        switch Int(code) {
        case IFF_JFIF_JPEG: .jpeg
        case IFF_PNG: .png
        case IFF_WEBP: .webp
        case IFF_GIF: .gif
        case IFF_BMP: .bmp
        case IFF_JP2: .jp2
        case IFF_PNM: .pnm
        case IFF_TIFF, IFF_TIFF_G3, IFF_TIFF_G4,
            IFF_TIFF_LZW, IFF_TIFF_ZIP, IFF_TIFF_PACKBITS,
            IFF_TIFF_RLE, IFF_TIFF_JPEG:
            .tiff
        default: .other
        }
    }

    init(owning pix: UnsafeMutablePointer<PIX>) {
        self.pix = pix
    }

    /// Decodes encoded image `bytes` (any format Leptonica reads).
    public convenience init(decoding bytes: [UInt8]) throws(DecodingError) {
        let decoded = bytes.withUnsafeBufferPointer { pixReadMem($0.baseAddress, $0.count) }
        guard let decoded else {
            throw DecodingError(message: "the image data cannot be decoded (damaged, cut short or not an image)")
        }
        self.init(owning: decoded)
    }

    /// An image from 8-bit RGB samples, three per pixel, row after row.
    public convenience init?(rgb samples: [UInt8], width: Int, height: Int) {
        guard width > 0, height > 0, samples.count >= width * height * 3,
            let created = pixCreate(l_int32(width), l_int32(height), 32)
        else { return nil }
        let wordsPerLine = Int(pixGetWpl(created))
        let words = pixGetData(created)!
        for y in 0..<height {
            let row = words + y * wordsPerLine
            for x in 0..<width {
                let at = (y * width + x) * 3
                row[x] = UInt32(samples[at]) << 24 | UInt32(samples[at + 1]) << 16 | UInt32(samples[at + 2]) << 8
            }
        }
        self.init(owning: created)
    }

    /// An image from 32-bit pixels `0x00RRGGBB` (cairo's RGB24), `stride` bytes per row.
    public convenience init?(xrgb words: UnsafePointer<UInt32>, width: Int, height: Int, stride: Int) {
        guard width > 0, height > 0, stride >= width * 4, let created = pixCreate(l_int32(width), l_int32(height), 32)
        else { return nil }
        let wordsPerLine = Int(pixGetWpl(created))
        let destination = pixGetData(created)!
        for y in 0..<height {
            let source = UnsafeRawPointer(words).advanced(by: y * stride).assumingMemoryBound(to: UInt32.self)
            let row = destination + y * wordsPerLine
            for x in 0..<width { row[x] = source[x] << 8 }
        }
        self.init(owning: created)
    }

    deinit {
        var owned: UnsafeMutablePointer<PIX>? = pix
        pixDestroy(&owned)
    }

    public var width: Int { Int(pixGetWidth(pix)) }
    public var height: Int { Int(pixGetHeight(pix)) }
    /// Bits per pixel: 1, 2, 4, 8, 16 or 32.
    public var depth: Int { Int(pixGetDepth(pix)) }

    /// The image as 32-bit RGB (colormaps, gray and 1-bit images expanded), or nil when Leptonica
    /// cannot convert it.
    func rgb32() -> LeptonicaImage? {
        if depth == 32 { return self }
        guard let converted = pixConvertTo32(pix) else { return nil }
        return LeptonicaImage(owning: converted)
    }

    /// Visits every pixel's red, green and blue (0...255), row after row.
    public func forEachPixel(_ body: (_ index: Int, _ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Void) -> Bool {
        guard let image = rgb32() else { return false }
        let width = image.width
        let height = image.height
        let wordsPerLine = Int(pixGetWpl(image.pix))
        guard let words = pixGetData(image.pix) else { return false }
        for y in 0..<height {
            let row = words + y * wordsPerLine
            for x in 0..<width {
                let word = row[x]
                body(
                    y * width + x, UInt8(truncatingIfNeeded: word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                    UInt8(truncatingIfNeeded: word >> 8))
            }
        }
        return true
    }

    /// The image scaled by `factor` (smoothly when shrinking), or nil when Leptonica cannot.
    public func scaled(by factor: Double) -> LeptonicaImage? {
        guard let scaled = pixScale(pix, Float(factor), Float(factor)) else { return nil }
        return LeptonicaImage(owning: scaled)
    }

    /// The image turned by a multiple of 90° clockwise (1, 2 or 3 quarters), or itself for 0.
    public func rotated(quarterTurns: Int) -> LeptonicaImage {
        let turns = ((quarterTurns % 4) + 4) % 4
        guard turns != 0, let turned = pixRotateOrth(pix, l_int32(turns)) else { return self }
        return LeptonicaImage(owning: turned)
    }

    /// Encoded as PNG, or nil when Leptonica cannot.
    public func encodedPNG() -> [UInt8]? {
        encoded(format: Int32(IFF_PNG))
    }

    private func encoded(format: Int32) -> [UInt8]? {
        var data: UnsafeMutablePointer<l_uint8>?
        var size = 0
        guard pixWriteMem(&data, &size, pix, format) == 0, let data else { return nil }
        defer { lept_free(data) }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Hands the owned `PIX` to a C call that borrows it (Tesseract's `SetImage`).
    public func withPIX<Result>(_ body: (UnsafeMutablePointer<PIX>) throws -> Result) rethrows -> Result {
        try body(pix)
    }
}
