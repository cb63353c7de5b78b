import Crypto

/// HMAC-SHA256 under one key (RFC 2104), with the key's two padded blocks hashed once: each code
/// then costs only the hashing of the message and of one digest. Gives what `HMAC<SHA256>` gives.
struct PreparedHMAC: @unchecked Sendable {
    // `@unchecked Sendable`: `SHA256` is a plain value (its whole state is in the struct) that is
    // only ever copied here, never shared mutably; swift-crypto does not mark it `Sendable`.
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8]) {
        let blockBytes = SHA256.blockByteCount
        var block = key.count > blockBytes ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: blockBytes - block.count)
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// The authentication code of `message`.
    func code(for message: [UInt8]) -> SHA256Digest {
        var inner = self.inner
        inner.update(data: message)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
