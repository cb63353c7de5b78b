import Crypto
import Foundation
import Yams

/// A linear classifier over hashed word and character n-grams: logistic regression, trained
/// offline (`bench/train_conduct_model.py`) and shipped as a `.model` file beside the rules.
///
/// Features, exactly as the training script computes them: the text's UTF-8 bytes with ASCII
/// letters lower-cased; "words" are runs of `a-z`, `0-9`, `'` and non-ASCII bytes; the features are
/// `w:WORD`, `b:WORD WORD` (adjacent words) and `c:GRAM` for every 3-, 4- and 5-byte window of
/// `" " + words joined by " " + " "`. Each is hashed with 64-bit FNV-1a modulo `dimensions`; every
/// distinct index present has the value `1/sqrt(count of distinct indices)`. The score is
/// `bias + Σ weight[index] × value`, and the probability its logistic.
///
/// A rule uses a model as a gate: the rule's pattern finds candidate messages and the span an
/// alert points at; the alert stands only when the model's probability for the message reaches
/// the rule's `threshold`. The alert then carries the model's score and the n-grams that pushed
/// it most, masked.
public final class LinearTextModel: Sendable {
    /// The model's name (its file name without `.model`).
    public let name: String
    public let dimensions: Int
    public let bias: Double
    /// Weights, quantised: `weight[i] = Double(quantised[i]) * scale`.
    private let quantised: [Int8]
    private let scale: Double
    /// A line about the training data and the measured quality, for `rules list` and the README.
    public let summary: String
    /// A short hash of the model file: part of the revision of the rules that use it.
    public let digest: String

    init(
        name: String, dimensions: Int, bias: Double, scale: Double, quantised: [Int8], summary: String, digest: String
    ) {
        self.digest = digest
        self.name = name
        self.dimensions = dimensions
        self.bias = bias
        self.scale = scale
        self.quantised = quantised
        self.summary = summary
    }

    /// Reads a model file:
    /// ```yaml
    /// format: leakwatch-linear-text-model-1
    /// dimensions: 65536
    /// bias: -1.23
    /// scale: 0.0042
    /// summary: trained on ...
    /// weights: |    # base64 of `dimensions` signed bytes
    ///   ...
    /// ```
    /// - Throws: `RuleProblem` naming the file and what is wrong.
    public static func parse(_ text: String, path: String) throws(RuleProblem) -> LinearTextModel {
        let location = SourceLocation(path: path, line: 1, column: 1)
        func fail(_ message: String) -> RuleProblem { RuleProblem(location: location, message: message) }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw fail("model file is not valid YAML: \(error)")
        }
        guard case .mapping(let mapping)? = node else { throw fail("model file must be a mapping") }
        func value(_ key: String) -> Node? { mapping.first { $0.key.string == key }?.value }
        guard value("format")?.string == "leakwatch-linear-text-model-1" else {
            throw fail("unknown model format (expected 'format: leakwatch-linear-text-model-1')")
        }
        guard let dimensions = value("dimensions")?.int, dimensions > 0, dimensions <= 1 << 24 else {
            throw fail("'dimensions' must be a positive whole number up to 16777216")
        }
        guard let bias = value("bias")?.float, let scale = value("scale")?.float, scale > 0 else {
            throw fail("'bias' and a positive 'scale' are required")
        }
        let encoded = (value("weights")?.string ?? "").filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: encoded), data.count == dimensions else {
            throw fail("'weights' must be base64 of exactly \(dimensions) bytes")
        }
        let quantised = data.map { Int8(bitPattern: $0) }
        let name = String((path.split(separator: "/").last ?? Substring(path)).dropLast(".model".count))
        return LinearTextModel(
            name: name, dimensions: dimensions, bias: bias, scale: scale, quantised: quantised,
            summary: value("summary")?.string ?? "",
            digest: IdentityHash.hex(SHA256.hash(data: Array(text.utf8)), bytes: 8))
    }

    /// The model's verdict on one text.
    public struct Verdict: Sendable, Hashable {
        /// The logit.
        public var score: Double
        public var probability: Double { 1 / (1 + exp(-score)) }
    }

    /// Scores `text`, using `scratch` for working memory.
    func score(_ text: String, scratch: inout LinearTextModelScratch) -> Verdict {
        // Distinct indices are counted with a stamp per index instead of sorting them.
        if scratch.stamps.count != dimensions {
            scratch.stamps = [UInt32](repeating: 0, count: dimensions)
            scratch.stamp = 0
        }
        scratch.stamp &+= 1
        if scratch.stamp == 0 {
            for index in scratch.stamps.indices { scratch.stamps[index] = 0 }
            scratch.stamp = 1
        }
        let stamp = scratch.stamp
        var stamps = scratch.stamps
        scratch.stamps = []
        defer { scratch.stamps = stamps }
        let dimensions = UInt64(self.dimensions)
        var sum = 0
        var count = 0
        quantised.withUnsafeBufferPointer { weights in
            stamps.withUnsafeMutableBufferPointer { seen in
                Self.forEachHash(of: text, scratch: &scratch) { hash in
                    let index = Int(hash % dimensions)
                    if seen[index] != stamp {
                        seen[index] = stamp
                        sum += Int(weights[index])
                        count += 1
                    }
                }
            }
        }
        let value = count > 0 ? 1 / Double(count).squareRoot() : 0
        return Verdict(score: bias + Double(sum) * scale * value)
    }

    /// Calls `body` with the hash of every feature of `text` (the same features as
    /// `forEachFeature`, without spelling them out).
    @inline(__always)
    private static func forEachHash(
        of text: String, scratch: inout LinearTextModelScratch, _ body: (UInt64) -> Void
    ) {
        var bytes = scratch.bytes
        var words = scratch.words
        var joined = scratch.joined
        bytes.removeAll(keepingCapacity: true)
        words.removeAll(keepingCapacity: true)
        joined.removeAll(keepingCapacity: true)
        defer {
            scratch.bytes = bytes
            scratch.words = words
            scratch.joined = joined
        }
        var start = -1
        for byte in text.utf8 {
            let lowered = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
            let isWord =
                (lowered >= 0x61 && lowered <= 0x7A) || (lowered >= 0x30 && lowered <= 0x39) || lowered == 0x27
                || lowered >= 0x80
            if isWord {
                if start < 0 { start = bytes.count }
                bytes.append(lowered)
            } else if start >= 0 {
                words.append((start, bytes.count))
                start = -1
            }
        }
        if start >= 0 { words.append((start, bytes.count)) }
        var wordPrefix = FNV1a()
        wordPrefix.add("w:")
        var pairPrefix = FNV1a()
        pairPrefix.add("b:")
        var gramPrefix = FNV1a()
        gramPrefix.add("c:")
        bytes.withUnsafeBufferPointer { buffer in
            for (index, word) in words.enumerated() {
                var hash = wordPrefix
                for offset in word.0..<word.1 { hash.add(buffer[offset]) }
                body(hash.value)
                if index + 1 < words.count {
                    let next = words[index + 1]
                    var pair = pairPrefix
                    for offset in word.0..<word.1 { pair.add(buffer[offset]) }
                    pair.add(0x20)
                    for offset in next.0..<next.1 { pair.add(buffer[offset]) }
                    body(pair.value)
                }
            }
        }
        joined.append(0x20)
        for word in words {
            joined.append(contentsOf: bytes[word.0..<word.1])
            joined.append(0x20)
        }
        if words.isEmpty { joined.append(0x20) }
        joined.withUnsafeBufferPointer { buffer in
            guard buffer.count >= 3 else { return }
            for offset in 0...(buffer.count - 3) {
                // The 3-, 4- and 5-grams starting here share their first bytes.
                var hash = gramPrefix
                hash.add(buffer[offset])
                hash.add(buffer[offset + 1])
                hash.add(buffer[offset + 2])
                body(hash.value)
                if offset + 4 <= buffer.count {
                    hash.add(buffer[offset + 3])
                    body(hash.value)
                    if offset + 5 <= buffer.count {
                        hash.add(buffer[offset + 4])
                        body(hash.value)
                    }
                }
            }
        }
    }

    /// The n-grams of `text` that raise its score most, strongest first, masked: each letter after
    /// the first of a word shown as `*` (`w:s***`, `b:d*** w****`).
    func strongestFeatures(of text: String, limit: Int, scratch: inout LinearTextModelScratch) -> [String] {
        var weights: [(weight: Int8, name: String)] = []
        var seen = Set<Int>()
        Self.forEachFeature(of: text, scratch: &scratch) { hash, name in
            let index = Int(hash % UInt64(dimensions))
            guard quantised[index] > 0, seen.insert(index).inserted else { return }
            weights.append((quantised[index], name()))
        }
        return weights.sorted { $0.weight > $1.weight }.prefix(limit).map { Self.mask($0.name) }
    }

    static func mask(_ feature: String) -> String {
        var out = ""
        var inWord = false
        var afterColon = false
        for character in feature {
            if !afterColon {
                out.append(character)
                if character == ":" { afterColon = true }
                continue
            }
            if character == " " {
                inWord = false
                out.append(character)
            } else if inWord {
                out.append("*")
            } else {
                inWord = true
                out.append(character)
            }
        }
        return out
    }

    /// Calls `body` with the FNV-1a hash of every feature and a function that spells it out.
    private static func forEachFeature(
        of text: String, scratch: inout LinearTextModelScratch, _ body: (UInt64, () -> String) -> Void
    ) {
        // Lower-cased bytes, words as (start, end) into them.
        var bytes = scratch.bytes
        var words = scratch.words
        bytes.removeAll(keepingCapacity: true)
        words.removeAll(keepingCapacity: true)
        defer {
            scratch.bytes = bytes
            scratch.words = words
        }
        var start = -1
        for byte in text.utf8 {
            let lowered = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
            let isWord =
                (lowered >= 0x61 && lowered <= 0x7A) || (lowered >= 0x30 && lowered <= 0x39) || lowered == 0x27
                || lowered >= 0x80
            if isWord {
                if start < 0 { start = bytes.count }
                bytes.append(lowered)
            } else if start >= 0 {
                words.append((start, bytes.count))
                start = -1
            }
        }
        if start >= 0 { words.append((start, bytes.count)) }
        bytes.withUnsafeBufferPointer { buffer in
            func spell(_ prefix: String, _ ranges: [(Int, Int)]) -> String {
                prefix
                    + ranges.map { String(decoding: buffer[$0.0..<$0.1], as: UTF8.self) }.joined(separator: " ")
            }
            for word in words {
                var hash = FNV1a()
                hash.add("w:")
                hash.add(buffer[word.0..<word.1])
                body(hash.value, { spell("w:", [word]) })
            }
            for index in words.indices.dropLast() {
                let first = words[index]
                let second = words[index + 1]
                var hash = FNV1a()
                hash.add("b:")
                hash.add(buffer[first.0..<first.1])
                hash.add(" ")
                hash.add(buffer[second.0..<second.1])
                body(hash.value, { spell("b:", [first, second]) })
            }
        }
        // Character n-grams over " w1 w2 ... ".
        var joined = scratch.joined
        joined.removeAll(keepingCapacity: true)
        joined.append(0x20)
        for word in words {
            joined.append(contentsOf: bytes[word.0..<word.1])
            joined.append(0x20)
        }
        if words.isEmpty { joined.append(0x20) }
        joined.withUnsafeBufferPointer { buffer in
            for length in 3...5 where buffer.count >= length {
                for offset in 0...(buffer.count - length) {
                    var hash = FNV1a()
                    hash.add("c:")
                    hash.add(buffer[offset..<(offset + length)])
                    body(hash.value, { "c:" + String(decoding: buffer[offset..<(offset + length)], as: UTF8.self) })
                }
            }
        }
        scratch.joined = joined
    }
}

/// Reusable buffers for scoring, one per worker (part of `MatchScratch`).
struct LinearTextModelScratch {
    var bytes: [UInt8] = []
    var words: [(Int, Int)] = []
    var joined: [UInt8] = []
    /// Per weight index, the stamp of the last text that used it (distinct features).
    var stamps: [UInt32] = []
    var stamp: UInt32 = 0
}

/// 64-bit FNV-1a.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always)
    mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { add(byte) }
    }

    mutating func add(_ text: StaticString) {
        text.withUTF8Buffer { add($0) }
    }
}
