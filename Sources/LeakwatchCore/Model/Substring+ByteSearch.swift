/// A literal search over UTF-8 bytes, for the app's own fixed phrases in system lines.
extension Substring {
    /// The first range where `needle`'s UTF-8 bytes occur, compared byte for byte.
    ///
    /// Unlike Foundation's `range(of:)` (which bridges, and compares canonically equivalent
    /// forms as equal) and unlike a search by `Character` (which breaks graphemes at every
    /// candidate), this is one pass over the bytes: exports write their system lines precomposed
    /// (NFC), and the phrases looked for are fixed. A match always starts and ends on a scalar
    /// boundary, since `needle` is valid UTF-8.
    func firstRange(ofBytes needle: String) -> Range<String.Index>? {
        var needle = needle
        let searched: Int?? = needle.withUTF8 { needle in
            utf8.withContiguousStorageIfAvailable { haystack in haystack.firstOffset(of: needle) }
        }
        switch searched {
        case .some(.some(let offset)):
            let lower = utf8.index(utf8.startIndex, offsetBy: offset)
            return lower..<utf8.index(lower, offsetBy: needle.utf8.count)
        case .some(.none):
            return nil
        case .none:
            break
        }
        // Not contiguous (a bridged string): the same search, by index.
        guard let first = needle.utf8.first else { return nil }
        var index = utf8.startIndex
        while let start = utf8[index...].firstIndex(of: first) {
            if utf8[start...].starts(with: needle.utf8) {
                return start..<utf8.index(start, offsetBy: needle.utf8.count)
            }
            index = utf8.index(after: start)
        }
        return nil
    }
}

extension String {
    /// The first range where `needle`'s UTF-8 bytes occur (see `Substring.firstRange(ofBytes:)`).
    func firstRange(ofBytes needle: String) -> Range<String.Index>? {
        self[...].firstRange(ofBytes: needle)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The offset of the first occurrence of `needle`'s bytes, nil when there is none (or
    /// `needle` is empty).
    func firstOffset(of needle: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = needle.first, needle.count <= count else { return nil }
        let last = count - needle.count
        var at = 0
        while at <= last {
            if self[at] == first {
                var k = 1
                while k < needle.count && self[at + k] == needle[k] { k += 1 }
                if k == needle.count { return at }
            }
            at += 1
        }
        return nil
    }
}
