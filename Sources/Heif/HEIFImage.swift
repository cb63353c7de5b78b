import CHeif

/// Why a HEIC image could not be read.
public struct HEIFError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A HEIC/HEIF file opened with libheif from bytes in memory: its primary image's size (read
/// without decoding), its EXIF block, and its pixels as 8-bit RGB. Owns the libheif context and
/// image handle and releases them with this object. Hostile bytes: only in the media worker.
public final class HEIFImage {
    private let context: OpaquePointer
    private let handle: OpaquePointer
    /// The bytes libheif reads without copying: kept alive as long as the context.
    private let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(HEIFError) {
        guard let context = heif_context_alloc() else { throw HEIFError(message: "libheif could not start") }
        self.bytes = bytes
        let read = self.bytes.withUnsafeBytes { raw in
            heif_context_read_from_memory_without_copy(context, raw.baseAddress, raw.count, nil)
        }
        guard read.code == heif_error_Ok else {
            heif_context_free(context)
            throw HEIFError(message: "the HEIC file cannot be read: \(Self.message(read))")
        }
        var primary: OpaquePointer?
        let found = heif_context_get_primary_image_handle(context, &primary)
        guard found.code == heif_error_Ok, let primary else {
            heif_context_free(context)
            throw HEIFError(message: "the HEIC file has no primary image: \(Self.message(found))")
        }
        self.context = context
        handle = primary
    }

    deinit {
        heif_image_handle_release(handle)
        heif_context_free(context)
    }

    private static func message(_ error: heif_error) -> String {
        error.message.map { String(cString: $0) } ?? "error \(error.code.rawValue)"
    }

    public var width: Int { Int(heif_image_handle_get_width(handle)) }
    public var height: Int { Int(heif_image_handle_get_height(handle)) }

    /// The EXIF block as libexif reads it (`Exif\0\0` and the TIFF header), or empty.
    public func exifBlock() -> [UInt8] {
        var id: heif_item_id = 0
        guard heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) == 1 else { return [] }
        let size = heif_image_handle_get_metadata_size(handle, id)
        guard size > 4, size < 16 << 20 else { return [] }
        var block = [UInt8](repeating: 0, count: size)
        let copied = block.withUnsafeMutableBytes { heif_image_handle_get_metadata(handle, id, $0.baseAddress) }
        guard copied.code == heif_error_Ok else { return [] }
        // HEIF keeps a 4-byte big-endian offset to the TIFF header first.
        let offset = Int(block[0]) << 24 | Int(block[1]) << 16 | Int(block[2]) << 8 | Int(block[3])
        let start = 4 + offset
        guard start < block.count else { return [] }
        let tiff = block[start...]
        let header = Array("Exif".utf8) + [0, 0]
        return tiff.starts(with: header) ? Array(tiff) : header + tiff
    }

    /// The primary image decoded to 8-bit RGB, three bytes per pixel, row after row.
    public func rgb() throws(HEIFError) -> [UInt8] {
        var image: OpaquePointer?
        let decoded = heif_decode_image(handle, &image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nil)
        guard decoded.code == heif_error_Ok, let image else {
            throw HEIFError(message: "the HEIC image cannot be decoded: \(Self.message(decoded))")
        }
        defer { heif_image_release(image) }
        var stride: Int32 = 0
        guard let plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride) else {
            throw HEIFError(message: "the HEIC image has no RGB plane")
        }
        let width = Int(heif_image_get_width(image, heif_channel_interleaved))
        let height = Int(heif_image_get_height(image, heif_channel_interleaved))
        guard width > 0, height > 0, Int(stride) >= width * 3 else {
            throw HEIFError(message: "the HEIC image has an odd layout")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        rgb.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                (out.baseAddress! + y * width * 3).update(from: plane + y * Int(stride), count: width * 3)
            }
        }
        return rgb
    }
}
