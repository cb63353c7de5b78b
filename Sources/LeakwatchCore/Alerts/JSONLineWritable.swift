/// A type that writes its own JSON line through `JSONLineWriter`, byte for byte what its
/// `Encodable` conformance gives with `JSONEncoder` (`[.sortedKeys, .withoutEscapingSlashes]`).
/// Each conformance lists its keys in sorted order and must follow its `encode(to:)`: `null` for
/// what that writes with `encode(_:forKey:)`, nothing for what it skips (`encodeIfPresent`).
protocol JSONLineWritable: Encodable {
    func writeJSON(to writer: inout JSONLineWriter)
}
