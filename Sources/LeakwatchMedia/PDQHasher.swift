import Foundation

/// A PDQ hash and its quality, with the hashes of the image's seven other orientations.
public struct PDQResult: Sendable, Hashable, Codable {
    /// The image as it is.
    public var hash: PDQHash
    /// 0 to 100: how much detail the hash rests on. Below 50 (a flat or nearly flat image) a hash
    /// must not be matched.
    public var quality: Int
    /// The hashes the image would have if turned or mirrored, in the order of
    /// `PDQHasher.Orientation.allCases` (the first is `hash`).
    public var orientations: [PDQHash]

    public init(hash: PDQHash, quality: Int, orientations: [PDQHash]) {
        self.hash = hash
        self.quality = quality
        self.orientations = orientations
    }
}

/// A standard crop of an image, for known-media lists: a chat image cut down by a few percent is
/// further from the original's hash than PDQ's threshold, but near the hash of the same crop.
public enum PDQCrop: String, Sendable, Hashable, Codable, CaseIterable {
    /// 2.5% off each side (95% of width and height kept, centred).
    case centre95 = "centre 95%"
    /// 5% off each side.
    case centre90 = "centre 90%"
    /// 5% off one side.
    case left95 = "5% off the left"
    case right95 = "5% off the right"
    case top95 = "5% off the top"
    case bottom95 = "5% off the bottom"

    /// The kept rectangle (x, y, width, height) of a `width × height` image.
    public func rectangle(width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        func part(_ size: Int, _ fraction: Double) -> Int { Int((Double(size) * fraction).rounded()) }
        switch self {
        case .centre95: return (part(width, 0.025), part(height, 0.025), part(width, 0.95), part(height, 0.95))
        case .centre90: return (part(width, 0.05), part(height, 0.05), part(width, 0.9), part(height, 0.9))
        case .left95: return (part(width, 0.05), 0, part(width, 0.95), height)
        case .right95: return (0, 0, part(width, 0.95), height)
        case .top95: return (0, part(height, 0.05), width, part(height, 0.95))
        case .bottom95: return (0, 0, width, part(height, 0.95))
        }
    }
}

/// The PDQ hash of a crop of an image.
public struct PDQCropHash: Sendable, Hashable, Codable {
    public var crop: PDQCrop
    public var hash: PDQHash
    public var quality: Int
}

/// PDQ, the perceptual hash Meta published for sharing hashes of known harmful images (written
/// here from its published description):
///
/// 1. luminance Y = 0.299 R + 0.587 G + 0.114 B per pixel;
/// 2. a tent blur made of two passes of box filters about half a 64th of the side wide;
/// 3. 64×64 samples of the blurred image at the centres of a 64×64 grid;
/// 4. a quality figure from the gradients between neighbouring samples;
/// 5. the 16×16 lowest non-constant frequencies of a two-dimensional DCT of the samples;
/// 6. one bit per frequency: above the median or not.
///
/// The DCT of a turned or mirrored image is the same matrix with rows and columns swapped and
/// signs changed, so the hashes of all eight orientations come from one transform.
public enum PDQHasher {
    /// The eight ways of turning or mirroring an image.
    public enum Orientation: String, Sendable, CaseIterable, Codable {
        case original
        /// Turned 90° counter-clockwise.
        case rotate90
        case rotate180
        /// Turned 90° clockwise.
        case rotate270
        /// Mirrored top to bottom.
        case flipX
        /// Mirrored left to right.
        case flipY
        /// Mirrored about the main diagonal (transposed).
        case flipPlus1
        /// Mirrored about the other diagonal.
        case flipMinus1
    }

    /// Hashes an image given as luminance values, `width × height`, row after row.
    public static func hash(luminance: [Float], width: Int, height: Int) -> PDQResult {
        precondition(luminance.count == width * height)
        guard width >= 5, height >= 5 else {
            let zero = PDQHash(words: (0, 0, 0, 0))
            return PDQResult(hash: zero, quality: 0, orientations: Array(repeating: zero, count: 8))
        }
        var buffer = luminance
        var scratch = [Float](repeating: 0, count: buffer.count)
        let rowWindow = (width + 127) / 128
        let columnWindow = (height + 127) / 128
        for _ in 0..<2 {
            boxAlongRows(&buffer, into: &scratch, width: width, height: height, window: rowWindow)
            boxAlongColumns(&scratch, into: &buffer, width: width, height: height, window: columnWindow)
        }
        var samples = [Float](repeating: 0, count: 64 * 64)
        for i in 0..<64 {
            let y = Int((Double(i) + 0.5) * Double(height) / 64)
            for j in 0..<64 {
                let x = Int((Double(j) + 0.5) * Double(width) / 64)
                samples[i * 64 + j] = buffer[min(y, height - 1) * width + min(x, width - 1)]
            }
        }
        let quality = self.quality(of: samples)
        let coefficients = dct(samples)
        let orientations = Orientation.allCases.map { threshold(oriented(coefficients, $0)) }
        return PDQResult(hash: orientations[0], quality: quality, orientations: orientations)
    }

    /// The hashes of `crops` of an image given as luminance values.
    public static func hashCrops(luminance: [Float], width: Int, height: Int, crops: [PDQCrop] = PDQCrop.allCases)
        -> [PDQCropHash]
    {
        crops.map { crop in
            let kept = crop.rectangle(width: width, height: height)
            var part = [Float](repeating: 0, count: kept.width * kept.height)
            for y in 0..<kept.height {
                let source = (kept.y + y) * width + kept.x
                part[(y * kept.width)..<((y + 1) * kept.width)] = luminance[source..<(source + kept.width)]
            }
            let result = hash(luminance: part, width: kept.width, height: kept.height)
            return PDQCropHash(crop: crop, hash: result.hash, quality: result.quality)
        }
    }

    /// Hashes RGB samples (three bytes per pixel, row after row).
    public static func hash(rgb: [UInt8], width: Int, height: Int) -> PDQResult {
        var luminance = [Float](repeating: 0, count: width * height)
        for index in 0..<(width * height) {
            luminance[index] = Self.luminance(rgb[3 * index], rgb[3 * index + 1], rgb[3 * index + 2])
        }
        return hash(luminance: luminance, width: width, height: height)
    }

    @inline(__always)
    static func luminance(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Float {
        0.299 * Float(red) + 0.587 * Float(green) + 0.114 * Float(blue)
    }

    // MARK: - Blur

    /// Output k averages inputs [k - (w-1)/2, k + w/2] that lie inside the line.
    private static func boxAlongRows(
        _ input: inout [Float], into output: inout [Float], width: Int, height: Int, window: Int
    ) {
        let back = (window - 1) / 2
        let ahead = window / 2
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for row in 0..<height {
                    boxLine(
                        source.baseAddress! + row * width, stride: 1, count: width,
                        into: destination.baseAddress! + row * width, back: back, ahead: ahead)
                }
            }
        }
    }

    private static func boxAlongColumns(
        _ input: inout [Float], into output: inout [Float], width: Int, height: Int, window: Int
    ) {
        let back = (window - 1) / 2
        let ahead = window / 2
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for column in 0..<width {
                    boxLine(
                        source.baseAddress! + column, stride: width, count: height,
                        into: destination.baseAddress! + column, back: back, ahead: ahead)
                }
            }
        }
    }

    /// A running sum over one line (row or column) of `count` values `stride` apart.
    @inline(__always)
    private static func boxLine(
        _ source: UnsafePointer<Float>, stride: Int, count: Int, into destination: UnsafeMutablePointer<Float>,
        back: Int, ahead: Int
    ) {
        var sum: Float = 0
        var low = 0  // first input in the window
        var high = 0  // one past the last input in the window
        for k in 0..<count {
            let wantedHigh = min(count, k + ahead + 1)
            while high < wantedHigh {
                sum += source[high * stride]
                high += 1
            }
            let wantedLow = max(0, k - back)
            while low < wantedLow {
                sum -= source[low * stride]
                low += 1
            }
            destination[k * stride] = sum / Float(high - low)
        }
    }

    // MARK: - Quality

    /// Sum of the absolute vertical and horizontal differences between neighbouring samples, each
    /// as a whole percentage of 255 (truncated), over 90, at most 100.
    static func quality(of samples: [Float]) -> Int {
        var gradient = 0
        for i in 0..<63 {
            for j in 0..<64 {
                gradient += abs(Int((samples[i * 64 + j] - samples[(i + 1) * 64 + j]) * 100 / 255))
            }
        }
        for i in 0..<64 {
            for j in 0..<63 {
                gradient += abs(Int((samples[i * 64 + j] - samples[i * 64 + j + 1]) * 100 / 255))
            }
        }
        return min(100, gradient / 90)
    }

    // MARK: - DCT

    /// `D[i][j] = sqrt(2/64) · cos(π/128 · (i+1) · (2j+1))`, i < 16, j < 64: frequencies 1 to 16
    /// (the constant row is left out).
    static let dctMatrix: [Float] = {
        var matrix = [Float](repeating: 0, count: 16 * 64)
        let scale = (2.0 / 64.0).squareRoot()
        for i in 0..<16 {
            for j in 0..<64 {
                matrix[i * 64 + j] = Float(scale * cos(Double.pi / 128 * Double(i + 1) * Double(2 * j + 1)))
            }
        }
        return matrix
    }()

    /// B = D · S · Dᵀ, 16×16.
    static func dct(_ samples: [Float]) -> [Float] {
        let d = dctMatrix
        // T = D · S (16×64)
        var t = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                var sum: Float = 0
                for k in 0..<64 { sum += d[i * 64 + k] * samples[k * 64 + j] }
                t[i * 64 + j] = sum
            }
        }
        // B = T · Dᵀ (16×16)
        var b = [Float](repeating: 0, count: 16 * 16)
        for i in 0..<16 {
            for j in 0..<16 {
                var sum: Float = 0
                for k in 0..<64 { sum += t[i * 64 + k] * d[j * 64 + k] }
                b[i * 16 + j] = sum
            }
        }
        return b
    }

    // MARK: - Orientations and bits

    /// The coefficients of the image turned or mirrored. An even index is an odd frequency, whose
    /// basis function changes sign when mirrored.
    static func oriented(_ b: [Float], _ orientation: Orientation) -> [Float] {
        var out = [Float](repeating: 0, count: 256)
        for i in 0..<16 {
            for j in 0..<16 {
                let value = b[i * 16 + j]
                let evenI = i % 2 == 0
                let evenJ = j % 2 == 0
                switch orientation {
                case .original: out[i * 16 + j] = value
                case .flipX: out[i * 16 + j] = evenI ? -value : value
                case .flipY: out[i * 16 + j] = evenJ ? -value : value
                case .rotate180: out[i * 16 + j] = (i + j) % 2 == 1 ? -value : value
                case .flipPlus1: out[j * 16 + i] = value
                case .flipMinus1: out[j * 16 + i] = (i + j) % 2 == 1 ? -value : value
                case .rotate90: out[j * 16 + i] = evenJ ? -value : value
                case .rotate270: out[j * 16 + i] = evenI ? -value : value
                }
            }
        }
        return out
    }

    /// Bit k is set when coefficient k is above the median (the 128th smallest value).
    static func threshold(_ coefficients: [Float]) -> PDQHash {
        let median = coefficients.sorted()[127]
        return PDQHash(bits: coefficients.map { $0 > median })
    }
}
