import CPCRE2

/// Resource limits for matching. A limit hit is reported as an error, never as "no match".
public struct PCRE2MatchLimits: Sendable, Hashable {
    /// `pcre2_set_match_limit_8`: how many times the matcher may backtrack (roughly).
    public var matchLimit: UInt32
    /// `pcre2_set_heap_limit_8`, in KiB: heap the interpreter may use for backtracking.
    public var heapLimitKiB: UInt32
    /// Largest JIT stack, in bytes (`pcre2_jit_stack_create_8`).
    public var jitStackBytes: Int

    public init(matchLimit: UInt32 = 1_000_000, heapLimitKiB: UInt32 = 20_000, jitStackBytes: Int = 1 << 20) {
        self.matchLimit = matchLimit
        self.heapLimitKiB = heapLimitKiB
        self.jitStackBytes = jitStackBytes
    }
}

/// The outcome of one `pcre2_match_8` call.
public enum PCRE2MatchResult: Sendable, Hashable {
    /// Byte range of the whole match within the subject.
    case match(Range<Int>)
    case noMatch
    /// A limit or other error stopped the match: not the same as no match.
    case failure(PCRE2Error)
}

/// Per-thread matching state: match data, a match context with limits, and a JIT stack.
///
/// One owner: created and used by one worker, freed in `deinit`. Not `Sendable` on purpose.
public final class PCRE2Scratch {
    private let matchData: OpaquePointer
    private let matchContext: OpaquePointer
    private let jitStack: OpaquePointer?
    public let limits: PCRE2MatchLimits

    /// Creates match data (`pcre2_match_data_create_8`), a match context
    /// (`pcre2_match_context_create_8`) with the limits set, and a JIT stack
    /// (`pcre2_jit_stack_create_8`) assigned to it (`pcre2_jit_stack_assign_8`).
    /// Returns nil only when PCRE2 cannot allocate them.
    public init?(limits: PCRE2MatchLimits = PCRE2MatchLimits()) {
        guard let data = pcre2_match_data_create_8(1, nil) else { return nil }
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_match_data_free_8(data)
            return nil
        }
        pcre2_set_match_limit_8(context, limits.matchLimit)
        pcre2_set_heap_limit_8(context, limits.heapLimitKiB)
        let stack = pcre2_jit_stack_create_8(32 * 1024, max(32 * 1024, limits.jitStackBytes), nil)
        if let stack {
            pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(stack))
        }
        self.matchData = data
        self.matchContext = context
        self.jitStack = stack
        self.limits = limits
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(matchContext)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }

    /// Finds the first match of `pattern` in `subject[..<length]` at or after `start`
    /// (`pcre2_match_8`). Offsets are byte offsets into the UTF-8 subject. Passing a `length`
    /// shorter than the buffer confines the match to a prefix (used to keep a match inside one
    /// message of a batch) without copying.
    @inline(__always)
    public func firstMatch(
        of pattern: PCRE2Pattern,
        in subject: UnsafeBufferPointer<UInt8>,
        length: Int? = nil,
        from start: Int,
        notEmptyAtStart: Bool = false
    ) -> PCRE2MatchResult {
        let end = length ?? subject.count
        // A non-null pointer is required even for an empty subject.
        let base = subject.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let rc = pcre2_match_8(
            pattern.code, base, end, start, notEmptyAtStart ? PCRE2_NOTEMPTY_ATSTART : 0, matchData, matchContext)
        if rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL { return .noMatch }
        if rc < 0 { return .failure(PCRE2Error(code: rc)) }
        let ovector = pcre2_get_ovector_pointer_8(matchData)!
        let lower = ovector[0]
        let upper = ovector[1]
        // \K can put the start after the end; normalise to an empty range at the end.
        return .match(min(lower, upper)..<upper)
    }

    /// Convenience for tests and small inputs: the first match in a Swift string.
    public func firstMatch(of pattern: PCRE2Pattern, in subject: String, from start: Int = 0) -> PCRE2MatchResult {
        var copy = subject
        return copy.withUTF8 { firstMatch(of: pattern, in: $0, from: start) }
    }
}
