import CPoppler
import Leptonica

/// Why a PDF could not be opened.
public struct PDFError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A PDF opened with poppler-glib from bytes in memory: its pages' text layer, and pages rendered
/// to images for OCR. Owns the `PopplerDocument` and releases it with this object.
///
/// A hostile PDF can keep poppler busy for a long time with no way to stop it in-process:
/// leakwatch opens PDFs only in its media worker process, under CPU and memory limits.
public final class PDFDocument {
    private let document: OpaquePointer

    /// Opens the PDF in `bytes` (copied). Encrypted documents need a password and are refused.
    public init(bytes: [UInt8]) throws(PDFError) {
        let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
        defer { g_bytes_unref(data) }
        var error: UnsafeMutablePointer<GError>?
        guard let document = poppler_document_new_from_bytes(data, nil, &error) else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            if let error { g_error_free(error) }
            throw PDFError(message: "the PDF cannot be opened: \(message)")
        }
        self.document = document
    }

    deinit {
        g_object_unref(UnsafeMutableRawPointer(document))
    }

    public var pageCount: Int { Int(poppler_document_get_n_pages(document)) }

    /// The text layer of page `index` (0-based), in reading order; empty when the page has none
    /// (a scanned page).
    public func text(ofPage index: Int) -> String {
        guard let page = poppler_document_get_page(document, Int32(index)) else { return "" }
        defer { g_object_unref(UnsafeMutableRawPointer(page)) }
        guard let text = poppler_page_get_text(page) else { return "" }
        defer { g_free(text) }
        return String(cString: text)
    }

    /// Page `index` rendered on white at `dpi`, scaled down so it has at most `maxPixels`; nil
    /// when the page cannot be rendered.
    public func renderPage(_ index: Int, dpi: Double, maxPixels: Int) -> LeptonicaImage? {
        guard let page = poppler_document_get_page(document, Int32(index)) else { return nil }
        defer { g_object_unref(UnsafeMutableRawPointer(page)) }
        var pointsWide = 0.0
        var pointsHigh = 0.0
        poppler_page_get_size(page, &pointsWide, &pointsHigh)
        guard pointsWide > 0, pointsHigh > 0, pointsWide.isFinite, pointsHigh.isFinite else { return nil }
        var scale = dpi / 72
        let pixels = pointsWide * scale * pointsHigh * scale
        if pixels > Double(maxPixels) { scale *= (Double(maxPixels) / pixels).squareRoot() }
        let width = Int(pointsWide * scale)
        let height = Int(pointsHigh * scale)
        guard width > 0, height > 0, width < 1 << 15, height < 1 << 15 else { return nil }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)) else {
            return nil
        }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let context = cairo_create(surface) else {
            return nil
        }
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
        cairo_scale(context, scale, scale)
        poppler_page_render(page, context)
        cairo_destroy(context)
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return nil }
        let stride = Int(cairo_image_surface_get_stride(surface))
        return UnsafeRawPointer(data).withMemoryRebound(to: UInt32.self, capacity: stride / 4 * height) { words in
            LeptonicaImage(xrgb: words, width: width, height: height, stride: stride)
        }
    }
}
