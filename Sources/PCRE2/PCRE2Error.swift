import CPCRE2

/// An error reported by PCRE2: its numeric code, PCRE2's own message and, for compile errors,
/// the byte offset in the pattern where it stopped.
public struct PCRE2Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// PCRE2's error code (negative for match errors, positive for compile errors).
    public let code: Int32
    /// PCRE2's message for `code` (from `pcre2_get_error_message_8`).
    public let message: String
    /// Byte offset in the pattern for compile errors.
    public let offset: Int?

    public init(code: Int32, offset: Int? = nil) {
        self.code = code
        self.message = PCRE2Error.message(for: code)
        self.offset = offset
    }

    /// `true` for the errors that mean "a resource limit stopped the match", which is never the
    /// same as "no match": match limit, heap limit, depth limit, JIT stack limit.
    public var isLimit: Bool {
        code == PCRE2_ERROR_MATCHLIMIT || code == PCRE2_ERROR_HEAPLIMIT || code == PCRE2_ERROR_DEPTHLIMIT
            || code == PCRE2_ERROR_JIT_STACKLIMIT
    }

    public var description: String {
        if let offset { return "\(message) (at offset \(offset) in the pattern)" }
        return message
    }

    /// Calls `pcre2_get_error_message_8`.
    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = buffer.withUnsafeMutableBufferPointer { pointer in
            pcre2_get_error_message_8(code, pointer.baseAddress, pointer.count)
        }
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer[..<Int(length)], as: UTF8.self)
    }
}
