import ArgumentParser
import Foundation
import LeakwatchCore
import LeakwatchMedia
import LeakwatchScan

struct MediaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Hash images for known-media lists, and show what leakwatch finds inside media.",
        subcommands: [MediaHashCommand.self, MediaAnalyzeCommand.self])
}

/// Reads each file and runs it through a media worker, as scanning does.
private func analyzeFiles(
    _ paths: [String], settings: MediaSettings, ocr: Bool, hashCrops: Bool = false, showWorker: Bool = false,
    _ body: (String, Result<MediaAnalysis, MediaProblem>) -> Void
) {
    let scanner = MediaScanner(settings: settings, knownMedia: KnownMediaIndex())
    var shownWorker: Int32?
    for path in paths {
        let bytes: [UInt8]
        do {
            bytes = try FileReading.readFile(path, limit: settings.maxFileBytes)
        } catch {
            body(path, .failure(MediaProblem(error.code == .tooLarge ? .tooLarge : .unreadable, error.message)))
            continue
        }
        let result = scanner.analyze(bytes, name: path, ocr: ocr, hashCrops: hashCrops)
        if showWorker, let (pid, hello) = scanner.workerHello, pid != shownWorker {
            shownWorker = pid
            Terminal.warn("media worker \(pid): Landlock \(hello.landlock), seccomp \(hello.seccomp), OCR \(hello.ocr)")
        }
        body(path, result)
    }
}

struct MediaHashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the PDQ hash of images as known-media list lines: pdq HEX64 FILE.",
        discussion: """
            Build a list from the evidence system's files: leakwatch media hash photos/*.jpg > \
            /etc/leakwatch/known-media.d/op-lantern.list (then edit the labels and reload). Images \
            too flat to hash reliably (PDQ quality under the minimum) are reported, not printed. \
            Exit status: 0 every file hashed, 1 some could not be, 2 none could.
            """)

    @Argument(help: "Image files.")
    var files: [String]

    @Flag(
        name: .customLong("with-crops"),
        help:
            "Also print the hashes of standard crops (2.5% and 5% off each side, 5% off one side): PDQ alone bears only a crop of a few percent."
    )
    var withCrops = false

    @OptionGroup var media: MediaOptions

    func run() throws {
        let settings = media.settings
        var failed = 0
        analyzeFiles(files, settings: settings, ocr: false, hashCrops: withCrops) { path, result in
            switch result {
            case .success(let analysis):
                guard let pdq = analysis.pdq else {
                    failed += 1
                    Terminal.error("\(path): not an image (\(analysis.format?.rawValue ?? "unknown")), no hash")
                    return
                }
                guard pdq.quality >= settings.pdqMinQuality else {
                    failed += 1
                    Terminal.error(
                        "\(path): PDQ quality \(pdq.quality) is under \(settings.pdqMinQuality) (a flat or nearly blank image): it would not be matched"
                    )
                    return
                }
                Terminal.write("pdq \(pdq.hash.hex) \(path)")
                for crop in analysis.pdqCrops where crop.quality >= settings.pdqMinQuality {
                    Terminal.write("pdq \(crop.hash.hex) \(path) [crop: \(crop.crop.rawValue)]")
                }
            case .failure(let problem):
                failed += 1
                Terminal.error("\(path): \(problem.message)")
            }
        }
        if failed == files.count { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }
}

struct MediaAnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Show what media scanning finds in images and PDFs: text, hash, metadata (JSON, one line per file).",
        discussion: "To see what a media-text rule runs on. Exit status: 0 every file analysed, 1 some not.")

    @Argument(help: "Image or PDF files.")
    var files: [String]

    @OptionGroup var media: MediaOptions

    func run() throws {
        var failed = false
        analyzeFiles(files, settings: media.settings, ocr: media.settings.ocr, showWorker: true) { path, result in
            switch result {
            case .success(let analysis):
                struct Line: Encodable {
                    var file: String
                    var analysis: MediaAnalysis
                }
                Terminal.write(AlertFormatting.jsonLine(Line(file: path, analysis: analysis)))
            case .failure(let problem):
                failed = true
                Terminal.error("\(path): \(problem.message) (\(problem.code.rawValue))")
            }
        }
        if failed { throw ExitCode(1) }
    }
}
