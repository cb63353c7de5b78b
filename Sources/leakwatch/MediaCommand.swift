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

/// Runs each file through a media worker, as scanning does, and hands over the answer.
private func analyzeFiles(
    _ paths: [String], settings: MediaSettings, ocr: Bool, hashCrops: Bool = false, showWorker: Bool = false,
    _ body: (String, Result<MediaAnalysis, MediaProblem>) -> Void
) {
    var worker: MediaWorkerProcess?
    defer { worker?.stop() }
    for path in paths {
        let bytes: [UInt8]
        do {
            bytes = try FileReading.readFile(path, limit: settings.maxFileBytes)
        } catch {
            body(path, .failure(MediaProblem(.unreadable, error.message)))
            continue
        }
        if worker?.isAlive != true {
            do {
                worker = try MediaWorkerProcess(settings.launcher)
                if showWorker, let hello = worker?.hello {
                    Terminal.warn(
                        "media worker \(worker!.pid): Landlock \(hello.landlock), seccomp \(hello.seccomp), OCR \(hello.ocr)"
                    )
                }
            } catch {
                body(path, .failure(MediaProblem(.workerFailed, error.description)))
                continue
            }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(settings.secondsPerFile * 1000))
        switch worker!.analyze(
            bytes, request: settings.request(name: path, ocr: ocr, hashCrops: hashCrops), deadline: deadline)
        {
        case .success(.analysis(let analysis)): body(path, .success(analysis))
        case .success(.failure(let problem)): body(path, .failure(problem))
        case .failure(let failure): body(path, .failure(MediaProblem(.workerKilled, failure.description)))
        }
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
