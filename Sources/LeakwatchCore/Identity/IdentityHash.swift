import Crypto
import Foundation

/// The ids and keys leakwatch makes by hashing (alert and record ids, message keys, revisions):
/// SHA-256 of parts joined by U+001F, the first bytes of it in lowercase hex. One place for the
/// joining and the hex, made without building the joined string or a byte array per part.
enum IdentityHash {
    /// The unit separator between parts.
    private static let separator: [UInt8] = [0x1F]

    /// The first `bytes` bytes of `SHA-256(parts joined by U+001F)`, in lowercase hex.
    static func joined(_ parts: [String], bytes: Int) -> String {
        var hasher = SHA256()
        for (index, part) in parts.enumerated() {
            if index > 0 { hasher.update(data: separator) }
            var part = part
            part.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        return hex(hasher.finalize(), bytes: bytes)
    }

    /// The first `bytes` bytes (all when `nil`) of `value` in lowercase hex.
    static func hex(_ value: some ContiguousBytes, bytes: Int? = nil) -> String {
        value.withUnsafeBytes { raw in
            let count = min(bytes ?? raw.count, raw.count)
            return String(unsafeUninitializedCapacity: count * 2) { out in
                for index in 0..<count {
                    let byte = raw[index]
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0x0F)]
                }
                return count * 2
            }
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
}
