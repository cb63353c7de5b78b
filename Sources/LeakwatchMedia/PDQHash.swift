/// A 256-bit PDQ perceptual hash: equal or near-equal for images that look alike, matched by
/// Hamming distance (the number of differing bits, 0 to 256).
///
/// Bit k (0...255) is bit `k & 15` of 16-bit word `k >> 4`; the hex form, as Meta's tools and
/// hash-sharing platforms write it, is the words from 15 down to 0, four hex digits each.
public struct PDQHash: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Bits 0...63, 64...127, 128...191, 192...255.
    public var words: (UInt64, UInt64, UInt64, UInt64)

    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The hash whose bits are `bits[k]`.
    public init(bits: [Bool]) {
        precondition(bits.count == 256)
        var parts: [UInt64] = [0, 0, 0, 0]
        for (index, bit) in bits.enumerated() where bit { parts[index >> 6] |= 1 << UInt64(index & 63) }
        words = (parts[0], parts[1], parts[2], parts[3])
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var parts: [UInt64] = [0, 0, 0, 0]
        // The text's last digit holds bits 0...3.
        for (position, digit) in digits.reversed().enumerated() {
            let value: UInt64
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = UInt64(digit - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = UInt64(digit - UInt8(ascii: "A") + 10)
            default: return nil
            }
            let bit = position * 4
            parts[bit >> 6] |= value << UInt64(bit & 63)
        }
        words = (parts[0], parts[1], parts[2], parts[3])
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for part in [words.3, words.2, words.1, words.0] {
            for shift in stride(from: 60, through: 0, by: -4) {
                out.append(digits[Int((part >> UInt64(shift)) & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    /// Whether bit `k` is set.
    public func bit(_ index: Int) -> Bool {
        let part: UInt64
        switch index >> 6 {
        case 0: part = words.0
        case 1: part = words.1
        case 2: part = words.2
        default: part = words.3
        }
        return part >> UInt64(index & 63) & 1 == 1
    }

    /// The number of bits in which the two hashes differ.
    public func distance(to other: PDQHash) -> Int {
        (words.0 ^ other.words.0).nonzeroBitCount + (words.1 ^ other.words.1).nonzeroBitCount
            + (words.2 ^ other.words.2).nonzeroBitCount + (words.3 ^ other.words.3).nonzeroBitCount
    }

    public static func == (lhs: PDQHash, rhs: PDQHash) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let hash = PDQHash(hex: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a PDQ hash: \(text)"))
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
