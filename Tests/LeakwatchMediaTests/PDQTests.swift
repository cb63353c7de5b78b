import Foundation
import LeakwatchMedia
import Leptonica
import Testing

/// leakwatch's PDQ against the reference implementation, and how well it recognises an image
/// after what chat apps do to it.
@Suite struct PDQTests {
    struct Vector: Sendable, CustomStringConvertible {
        var file: String
        var quality: Int
        var hash: String
        var orientations: [String]
        var description: String { file }
    }

    static let vectors: [Vector] = {
        let url = repository.appendingPathComponent("Tests/LeakwatchMediaTests/Vectors/pdq-reference.txt")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let fields = line.split(separator: " ").map(String.init)
            return Vector(
                file: fields[0], quality: Int(fields[1]) ?? -1, hash: fields[2], orientations: Array(fields[3...]))
        }
    }()

    /// Hashes an image file in this process (the tests' own files, not hostile ones).
    static func hash(_ bytes: [UInt8]) throws -> PDQResult {
        let image = try LeptonicaImage(decoding: bytes)
        var luminance = [Float](repeating: 0, count: image.width * image.height)
        let converted = image.forEachPixel { index, red, green, blue in
            luminance[index] = 0.299 * Float(red) + 0.587 * Float(green) + 0.114 * Float(blue)
        }
        try #require(converted)
        return PDQHasher.hash(luminance: luminance, width: image.width, height: image.height)
    }

    static func hash(file path: String) throws -> PDQResult {
        try hash(Array(Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func thereAreReferenceVectors() {
        #expect(Self.vectors.count >= 5)
    }

    /// Bit for bit the hash, the quality and all eight orientations of Meta's implementation.
    @Test(arguments: PDQTests.vectors)
    func agreesWithTheReferenceImplementation(_ vector: Vector) throws {
        let result = try Self.hash(
            file: repository.appendingPathComponent("Tests/LeakwatchMediaTests/Vectors/\(vector.file)").path)
        #expect(result.hash.hex == vector.hash)
        #expect(result.quality == vector.quality)
        #expect(result.orientations.map(\.hex) == vector.orientations)
    }

    @Test func hexRoundTripsAndDistanceCountsBits() throws {
        let text = "f0fbde27259be51e778311b252b162c82b6d84bac6f94314a98798965343ad69"
        let hash = try #require(PDQHash(hex: text))
        #expect(hash.hex == text)
        #expect(PDQHash(hex: text.uppercased()) == hash)
        #expect(PDQHash(hex: String(text.dropLast())) == nil)
        #expect(PDQHash(hex: String(text.dropLast()) + "g") == nil)
        let other = try #require(PDQHash(hex: "00" + text.dropFirst(2)))
        #expect(hash.distance(to: other) == 4)  // f0 -> 00
        #expect(hash.distance(to: hash) == 0)
        // Bit 0 is the last hex digit's lowest bit.
        let one = try #require(PDQHash(hex: String(repeating: "0", count: 63) + "1"))
        #expect(one.bit(0) && !one.bit(1) && !one.bit(255))
    }

    @Test func aTinyOrFlatImageHasNoUsableHash() {
        let tiny = PDQHasher.hash(luminance: [Float](repeating: 1, count: 16), width: 4, height: 4)
        #expect(tiny.quality == 0)
        let flat = PDQHasher.hash(luminance: [Float](repeating: 128, count: 100 * 100), width: 100, height: 100)
        #expect(flat.quality < 50)
    }

    /// The scene photo and what chat apps and people do to it: all match a list made with
    /// `leakwatch media hash --with-crops` (the photo's hash and those of its standard crops).
    /// The distances to the photo's own hash are printed for the record.
    @Test func survivesResizingCompressionCroppingAndGreyscale() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path("scene.png")
        try convert([
            "-seed", "42", "-size", "1024x768", "plasma:fractal", "-blur", "0x2", "-fill", "#202020", "-draw",
            "circle 400,420 470,470", "-fill", "#c0c0c0", "-draw", "rectangle 620,200 900,330", "-depth", "8", original,
        ])
        let variants: [(String, [String])] = [
            ("resized to 50%", ["-resize", "50%"]),
            ("JPEG quality 50", ["-quality", "50"]),
            ("cropped 5% (2.5% off each side)", ["-gravity", "center", "-crop", "95%x95%+0+0", "+repage"]),
            ("cropped 5% off the left", ["-gravity", "east", "-crop", "95%x100%+0+0", "+repage"]),
            ("cropped 5% off the bottom", ["-gravity", "north", "-crop", "100%x95%+0+0", "+repage"]),
            // Crops the list does not hold exactly.
            ("cropped 4% (2% off each side)", ["-gravity", "center", "-crop", "96%x96%+0+0", "+repage"]),
            ("cropped 7% off the left", ["-gravity", "east", "-crop", "93%x100%+0+0", "+repage"]),
            ("greyscale", ["-colorspace", "Gray"]),
            ("WhatsApp-like: at most 800 px, JPEG 70", ["-resize", "800x800>", "-quality", "70"]),
            ("turned 90° clockwise", ["-rotate", "90"]),
        ]
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: original)))
        let base = try Self.hash(bytes)
        #expect(base.quality >= 50)
        let image = try LeptonicaImage(decoding: bytes)
        var luminance = [Float](repeating: 0, count: image.width * image.height)
        _ = image.forEachPixel { index, red, green, blue in
            luminance[index] = 0.299 * Float(red) + 0.587 * Float(green) + 0.114 * Float(blue)
        }
        let crops = PDQHasher.hashCrops(luminance: luminance, width: image.width, height: image.height)
        let plain = KnownMediaIndex(entries: [
            KnownMediaEntry(hash: base.hash, label: "Op LANTERN scene photo 1", list: "test.list", line: 1)
        ])
        let withCrops = KnownMediaIndex(
            entries: plain.entries
                + crops.enumerated().map {
                    KnownMediaEntry(
                        hash: $0.element.hash, label: "Op LANTERN scene photo 1 [crop: \($0.element.crop.rawValue)]",
                        list: "test.list", line: $0.offset + 2)
                })
        for (name, arguments) in variants {
            let path = directory.path("variant.\(name.contains("JPEG") ? "jpg" : "png")")
            try convert([original] + arguments + [path])
            let variant = try Self.hash(file: path)
            let alone = variant.orientations.map { $0.distance(to: base.hash) }.min() ?? 256
            let match = withCrops.bestMatch(for: variant, threshold: 31)
            print(
                "PDQ robustness: \(name): distance \(alone) to the photo's hash, \(match?.distance ?? -1) to the nearest list entry (\(match?.entry.label ?? "none"))"
            )
            #expect(match != nil, "\(name) did not match")
        }
    }

    /// 200 unrelated pictures (random fractal landscapes and shapes, made here) never come within
    /// the threshold of a listed image (or its listed crops) or of each other.
    @Test func unrelatedImagesDoNotMatch() throws {
        var generator = SplitMix(seed: 2026)
        let listed = (0..<5).map { _ in SyntheticPicture.make(size: 257, using: &generator) }
        let listedHashes = listed.map { PDQHasher.hash(luminance: $0, width: 257, height: 257) }
        // Each listed picture with its standard crops, as `media hash --with-crops` lists it.
        var entries: [KnownMediaEntry] = []
        for (number, picture) in listed.enumerated() {
            let hashes =
                [listedHashes[number].hash]
                + PDQHasher.hashCrops(luminance: picture, width: 257, height: 257).map(\.hash)
            for hash in hashes {
                entries.append(
                    KnownMediaEntry(hash: hash, label: "listed \(number)", list: "test.list", line: entries.count + 1))
            }
        }
        let index = KnownMediaIndex(entries: entries)
        var closest = Int.max
        var hashes: [PDQResult] = []
        for _ in 0..<200 {
            let picture = SyntheticPicture.make(size: 257, using: &generator)
            let result = PDQHasher.hash(luminance: picture, width: 257, height: 257)
            guard result.quality >= 50 else { continue }
            hashes.append(result)
            #expect(index.bestMatch(for: result, threshold: 31) == nil)
            for entry in index.entries {
                for hash in result.orientations { closest = min(closest, hash.distance(to: entry.hash)) }
            }
        }
        var closestPair = Int.max
        for i in hashes.indices {
            for j in hashes.indices where j > i {
                closestPair = min(closestPair, hashes[i].hash.distance(to: hashes[j].hash))
            }
        }
        print(
            "PDQ unrelated: \(hashes.count) images, nearest to a listed image \(closest) bits (any orientation), nearest pair \(closestPair) bits"
        )
        #expect(hashes.count >= 190)
        #expect(closest > 31)
        #expect(closestPair > 31)
    }
}

/// A small deterministic random number generator (SplitMix64), so the pictures are the same on
/// every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Natural-looking luminance pictures: a diamond-square fractal landscape with a few shapes on it.
enum SyntheticPicture {
    static func make(size: Int, using generator: inout SplitMix) -> [Float] {
        var height = [Float](repeating: 0, count: size * size)
        func at(_ x: Int, _ y: Int) -> Float { height[y * size + x] }
        func set(_ x: Int, _ y: Int, _ value: Float) { height[y * size + x] = value }
        let roughness = Float.random(in: 0.45...0.7, using: &generator)
        for (x, y) in [(0, 0), (size - 1, 0), (0, size - 1), (size - 1, size - 1)] {
            set(x, y, Float.random(in: 0...255, using: &generator))
        }
        var step = size - 1
        var scale: Float = 128
        while step > 1 {
            let half = step / 2
            for y in stride(from: half, to: size, by: step) {
                for x in stride(from: half, to: size, by: step) {
                    let mean =
                        (at(x - half, y - half) + at(x + half, y - half) + at(x - half, y + half)
                            + at(x + half, y + half)) / 4
                    set(x, y, mean + Float.random(in: -scale...scale, using: &generator))
                }
            }
            for y in stride(from: 0, to: size, by: half) {
                for x in stride(from: (y / half) % 2 == 0 ? half : 0, to: size, by: step) {
                    var sum: Float = 0
                    var count: Float = 0
                    for (dx, dy) in [(-half, 0), (half, 0), (0, -half), (0, half)] {
                        let nx = x + dx
                        let ny = y + dy
                        if nx >= 0, nx < size, ny >= 0, ny < size {
                            sum += at(nx, ny)
                            count += 1
                        }
                    }
                    set(x, y, sum / count + Float.random(in: -scale...scale, using: &generator))
                }
            }
            step = half
            scale *= roughness
        }
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let cx = Int.random(in: 0..<size, using: &generator)
            let cy = Int.random(in: 0..<size, using: &generator)
            let radius = Int.random(in: 10...60, using: &generator)
            let value = Float.random(in: 0...255, using: &generator)
            for y in max(0, cy - radius)..<min(size, cy + radius) {
                for x in max(0, cx - radius)..<min(size, cx + radius)
                where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius {
                    set(x, y, value)
                }
            }
        }
        return height.map { min(255, max(0, $0)) }
    }
}
