/// Sender candidates met so far, by the bytes they are written with. A header line names one of
/// a chat's few senders again and again: found by a hash of its bytes, the candidate's cleaned
/// `String` is shared rather than made again (no allocation, no `Hasher`), and its id lets the
/// caller keep what it knows of it in arrays.
///
/// Holds at most `capacity` names of at most `maxKeyBytes` bytes (a file of millions of distinct
/// or huge ones cannot grow it further): other names are cleaned every time and have no id.
struct WhatsAppNameTable {
    static let capacity = 4096
    static let maxKeyBytes = 256
    /// Slots of the open-addressing index: twice the capacity, so it is at most half full.
    private static let slotCount = 2 * capacity

    /// The cleaned name of each id (nil: the candidate cleans to nothing).
    private(set) var names: [String?] = []
    /// The bytes each id was written with, and their hash.
    private var keys: [[UInt8]] = []
    private var hashes: [UInt64] = []
    /// Ids by hash (linear probing); -1 is empty.
    private var slots = [Int32](repeating: -1, count: WhatsAppNameTable.slotCount)

    /// The candidate written `b[start..<end]`: its id (nil once the table is full) and its name,
    /// made by `clean` the first time those bytes are met.
    mutating func candidate(
        _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, clean: () -> String?
    ) -> (id: Int?, name: String?) {
        guard end - start <= Self.maxKeyBytes else { return (nil, clean()) }
        var digest = FNV1a()
        for index in start..<end { digest.add(b[index]) }
        let hash = digest.value
        let mask = Self.slotCount - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] >= 0 {
            let id = Int(slots[slot])
            if hashes[id] == hash, Self.same(keys[id], b, start, end) {
                return (id, names[id])
            }
            slot = (slot + 1) & mask
        }
        let name = clean()
        guard names.count < Self.capacity else { return (nil, name) }
        let id = names.count
        names.append(name)
        keys.append(Array(b[start..<end]))
        hashes.append(hash)
        slots[slot] = Int32(id)
        return (id, name)
    }

    private static func same(_ key: [UInt8], _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard key.count == end - start else { return false }
        return key.withUnsafeBufferPointer { key in
            for index in 0..<key.count where key[index] != b[start + index] { return false }
            return true
        }
    }
}
