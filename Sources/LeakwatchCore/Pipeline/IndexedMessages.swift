/// Some of an export's messages, kept by their index in it: added in ascending index order (a
/// repeated or lower index is already kept, and ignored), found by binary search. Two arrays
/// rather than a dictionary: a streamed export with many hits keeps hundreds of thousands.
struct IndexedMessages: Sendable {
    private var indices: [Int] = []
    private var messages: [Message] = []

    /// Keeps `message` as the export's `index`-th, unless a message at or after it is kept.
    mutating func append(_ message: Message, at index: Int) {
        if let last = indices.last, index <= last { return }
        indices.append(index)
        messages.append(message)
    }

    /// Forgets the messages kept at indices below `index`.
    mutating func removeAll(before index: Int) {
        let count = indices.firstIndex { $0 >= index } ?? indices.count
        guard count > 0 else { return }
        indices.removeFirst(count)
        messages.removeFirst(count)
    }

    /// The indices kept, ascending.
    var keptIndices: [Int] { indices }

    /// The message kept as the export's `index`-th, if any.
    subscript(index: Int) -> Message? {
        var low = 0
        var high = indices.count
        while low < high {
            let middle = (low + high) / 2
            if indices[middle] < index { low = middle + 1 } else { high = middle }
        }
        return low < indices.count && indices[low] == index ? messages[low] : nil
    }
}
