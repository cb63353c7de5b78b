import CExif

/// What a photo's EXIF block says about where, when and with what it was taken.
public struct PhotoMetadata: Sendable, Hashable, Codable {
    /// Degrees, south negative.
    public var latitude: Double?
    /// Degrees, west negative.
    public var longitude: Double?
    /// `DateTimeOriginal` as written (`2021:11:07 18:14:02`, camera local time).
    public var captured: String?
    public var make: String?
    public var model: String?
    /// EXIF orientation, 1 (upright) to 8.
    public var orientation: Int?

    public init(
        latitude: Double? = nil, longitude: Double? = nil, captured: String? = nil, make: String? = nil,
        model: String? = nil, orientation: Int? = nil
    ) {
        self.latitude = latitude
        self.longitude = longitude
        self.captured = captured
        self.make = make
        self.model = model
        self.orientation = orientation
    }

    public var isEmpty: Bool {
        latitude == nil && longitude == nil && captured == nil && make == nil && model == nil
    }

    /// Reads the EXIF block of a JPEG (its APP1 segment), or of a bare `Exif\0\0` + TIFF block
    /// (from a WebP or PNG container). Nil when there is none or it is unreadable.
    public static func read(from bytes: [UInt8]) -> PhotoMetadata? {
        guard let document = ExifDocument(bytes) else { return nil }
        var metadata = PhotoMetadata()
        metadata.make = document.ascii(EXIF_TAG_MAKE, in: EXIF_IFD_0)
        metadata.model = document.ascii(EXIF_TAG_MODEL, in: EXIF_IFD_0)
        metadata.captured =
            document.ascii(EXIF_TAG_DATE_TIME_ORIGINAL, in: EXIF_IFD_EXIF)
            ?? document.ascii(EXIF_TAG_DATE_TIME, in: EXIF_IFD_0)
        metadata.orientation = document.short(EXIF_TAG_ORIENTATION, in: EXIF_IFD_0).map(Int.init)
        if let latitude = document.degrees(
            Int32(EXIF_TAG_GPS_LATITUDE), reference: Int32(EXIF_TAG_GPS_LATITUDE_REF), negative: "S"),
            let longitude = document.degrees(
                Int32(EXIF_TAG_GPS_LONGITUDE), reference: Int32(EXIF_TAG_GPS_LONGITUDE_REF), negative: "W"),
            (-90...90).contains(latitude), (-180...180).contains(longitude)
        {
            metadata.latitude = latitude
            metadata.longitude = longitude
        }
        return metadata.isEmpty && metadata.orientation == nil ? nil : metadata
    }
}

/// An `ExifData` owned by this object and released with it.
final class ExifDocument {
    private let data: UnsafeMutablePointer<ExifData>
    private let order: ExifByteOrder

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 8, bytes.count <= Int(UInt32.max),
            let data = bytes.withUnsafeBufferPointer({ exif_data_new_from_data($0.baseAddress, UInt32($0.count)) })
        else { return nil }
        self.data = data
        order = exif_data_get_byte_order(data)
    }

    deinit {
        exif_data_unref(data)
    }

    private func content(_ ifd: ExifIfd) -> UnsafeMutablePointer<ExifContent>? {
        // `ifd` is a C array, which Swift sees as a tuple.
        withUnsafeBytes(of: data.pointee.ifd) { raw in
            raw.bindMemory(to: UnsafeMutablePointer<ExifContent>?.self)[Int(ifd.rawValue)]
        }
    }

    private func entry(_ tag: ExifTag, in ifd: ExifIfd) -> UnsafeMutablePointer<ExifEntry>? {
        guard let content = content(ifd) else { return nil }
        return exif_content_get_entry(content, tag)
    }

    func ascii(_ tag: ExifTag, in ifd: ExifIfd) -> String? {
        guard let entry = entry(tag, in: ifd), entry.pointee.format == EXIF_FORMAT_ASCII, let bytes = entry.pointee.data
        else { return nil }
        let count = Int(entry.pointee.size)
        let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count).prefix { $0 != 0 }, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: " ")
        return trimmed.isEmpty ? nil : trimmed
    }

    func short(_ tag: ExifTag, in ifd: ExifIfd) -> UInt16? {
        guard let entry = entry(tag, in: ifd), entry.pointee.format == EXIF_FORMAT_SHORT, entry.pointee.size >= 2,
            let bytes = entry.pointee.data
        else { return nil }
        return exif_get_short(bytes, order)
    }

    /// A GPS coordinate: degrees, minutes, seconds as three rationals, signed by its reference.
    /// GPS tags are looked up in the GPS IFD only (their numbers mean other things elsewhere).
    func degrees(_ tag: Int32, reference: Int32, negative: Character) -> Double? {
        guard let entry = entry(ExifTag(rawValue: UInt32(tag)), in: EXIF_IFD_GPS),
            entry.pointee.format == EXIF_FORMAT_RATIONAL, entry.pointee.components == 3, entry.pointee.size >= 24,
            let bytes = entry.pointee.data
        else { return nil }
        var value = 0.0
        for (index, scale) in [1.0, 60.0, 3600.0].enumerated() {
            let rational = exif_get_rational(bytes + 8 * index, order)
            guard rational.denominator != 0 else { return nil }
            value += Double(rational.numerator) / Double(rational.denominator) / scale
        }
        guard let referenceEntry = self.entry(ExifTag(rawValue: UInt32(reference)), in: EXIF_IFD_GPS),
            let referenceBytes = referenceEntry.pointee.data, referenceEntry.pointee.size >= 1
        else { return nil }
        return Character(Unicode.Scalar(referenceBytes[0])) == negative ? -value : value
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
