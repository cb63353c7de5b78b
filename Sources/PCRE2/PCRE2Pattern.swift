import CPCRE2

/// A compiled PCRE2 pattern: the single owner of a `pcre2_code_8`.
///
/// Thread safety: PCRE2 documents a compiled pattern (including its JIT code) as read-only
/// after `pcre2_compile_8` and `pcre2_jit_compile_8` return, and safe to use from many threads
/// at once as long as each thread has its own match data. This class never mutates the code
/// after `init`, and `PCRE2Scratch` is per thread, so sharing it is safe.
public final class PCRE2Pattern: @unchecked Sendable {
    /// The pattern as written.
    public let pattern: String
    /// The options it was compiled with (besides the UTF ones every pattern gets).
    public let options: PCRE2Options
    /// Whether JIT compilation succeeded; when it did not, matching uses the interpreter with
    /// identical results.
    public let isJITCompiled: Bool
    /// Why JIT compilation was refused, when it was tried and refused.
    public let jitError: PCRE2Error?

    let code: OpaquePointer

    /// Compiles `pattern` with `pcre2_compile_8`, then `pcre2_jit_compile_8` when `jit` is true.
    ///
    /// - Throws: `PCRE2Error` with PCRE2's message and the byte offset in the pattern.
    public init(_ pattern: String, options: PCRE2Options = [], jit: Bool = true) throws(PCRE2Error) {
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let flags = options.union(.always).rawValue
        let compiled: OpaquePointer? =
            pattern.utf8.withContiguousStorageIfAvailable { bytes in
                pcre2_compile_8(bytes.baseAddress, bytes.count, flags, &errorCode, &errorOffset, nil)
            }
            ?? {
                let bytes = Array(pattern.utf8)
                return bytes.withUnsafeBufferPointer { pointer in
                    pcre2_compile_8(pointer.baseAddress, pointer.count, flags, &errorCode, &errorOffset, nil)
                }
            }()
        guard let compiled else {
            throw PCRE2Error(code: errorCode, offset: errorOffset)
        }
        self.pattern = pattern
        self.options = options
        self.code = compiled
        if jit {
            let rc = pcre2_jit_compile_8(compiled, PCRE2_JIT_COMPLETE)
            self.isJITCompiled = rc == 0
            self.jitError = rc == 0 ? nil : PCRE2Error(code: rc)
        } else {
            self.isJITCompiled = false
            self.jitError = nil
        }
    }

    deinit {
        pcre2_code_free_8(code)
    }

    /// Whether this PCRE2 build supports JIT at all (`pcre2_config_8(PCRE2_CONFIG_JIT)`).
    public static var jitAvailable: Bool {
        var value: UInt32 = 0
        return pcre2_config_8(UInt32(PCRE2_CONFIG_JIT), &value) >= 0 && value == 1
    }

    /// Escapes `literal` so that it matches itself inside a larger pattern (`\Q...\E` does not
    /// nest, so each metacharacter is escaped instead).
    public static func escape(_ literal: String) -> String {
        var out = ""
        out.reserveCapacity(literal.utf8.count * 2)
        for scalar in literal.unicodeScalars {
            if "\\^$.|?*+()[]{}#- \t/".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append("\\")
            }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
