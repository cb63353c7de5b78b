import Foundation
import LeakwatchCore
import LeakwatchMedia
import LeakwatchOutputs
import LeakwatchScan
import ServiceLifecycle
import Systemd
import UnixSignals

/// Talks to systemd and admins: READY, STATUS and watchdog pings, SIGHUP reloads, STOPPING.
struct ControlService: Service {
    let rules: RuleSetStore
    let knownMedia: KnownMediaStore
    let status: DaemonStatus
    let metrics: DaemonMetrics
    let queue: FileQueue
    let events: EventLog
    let reloadStatus: ReloadStatusFile
    let hangups: UnixSignalsSequence
    /// Reads the configuration again (file, then flags) for a reload.
    let reloadConfiguration: @Sendable () throws(LeakwatchError) -> DaemonConfiguration
    let timeBudget: Duration

    func run() async throws {
        ServiceNotifier.notify("READY=1\nSTATUS=\(status.line(queue: queue.count))")
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await handleHangups() }
                group.addTask { await tick() }
            }
        } onGracefulShutdown: {
            ServiceNotifier.notify("STOPPING=1\nSTATUS=stopping")
        }
    }

    private func handleHangups() async {
        for await _ in hangups.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// STATUS every second; WATCHDOG=1 at half of `WATCHDOG_USEC`, only while the watcher and
    /// workers are making progress.
    private func tick() async {
        let watchdog = ServiceNotifier.watchdogInterval
        let interval = min(.seconds(1), watchdog.map { $0 / 2 } ?? .seconds(1))
        var lastStatus = ""
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            var message: [String] = []
            let line = status.line(queue: queue.count)
            if line != lastStatus {
                message.append("STATUS=\(line)")
                lastStatus = line
            }
            if watchdog != nil, status.isHealthy(maximumBusy: timeBudget + .seconds(30)) {
                message.append("WATCHDOG=1")
            }
            if !message.isEmpty { ServiceNotifier.notify(message.joined(separator: "\n")) }
            // What the workers held back (at most one write a second) goes out now.
            if metrics.isPending {
                let metrics = metrics
                _ = await BlockingWork.run(name: "leakwatch-metrics") { metrics.writeIfDue() }
            }
        }
    }

    /// Builds the whole new rule set and runs its examples; swaps only on success. Either way
    /// the outcome is logged, shown in STATUS and written for `leakwatch reload`, then READY=1.
    func reload() {
        ServiceNotifier.notify(
            "RELOADING=1\nMONOTONIC_USEC=\(ServiceNotifier.monotonicMicroseconds)\nSTATUS=reloading rules")
        let generation = reloadStatus.read().generation + 1
        var outcome: RuleSetStore.LoadOutcome
        var knownMediaIndex: KnownMediaIndex?
        do {
            let configuration = try reloadConfiguration()
            outcome = RuleSetStore.load(
                configuration.ruleDirectories, jit: configuration.jit,
                cacheDirectory: configuration.cacheDirectory)
            // The known-media lists are reloaded with the rules, all or nothing.
            if case .loaded = outcome, configuration.media.enabled {
                let (index, problems) = KnownMediaDirectories.load(configuration.media.knownMediaDirectories)
                knownMediaIndex = index
                if index == nil { outcome = .rejected(problems.map(\.description)) }
            }
        } catch {
            outcome = .rejected([error.description])
        }
        switch outcome {
        case .loaded(let ruleSet, let warnings):
            rules.replace(with: ruleSet)
            if let knownMediaIndex {
                knownMedia.replace(with: knownMediaIndex)
                events.log(
                    DaemonEvent(
                        .rulesLoaded,
                        "reloaded \(knownMediaIndex.entries.count) known-media hashes from \(knownMediaIndex.files.count) list(s) (\(knownMediaIndex.revision))",
                        fields: ["KNOWN_MEDIA": String(knownMediaIndex.entries.count)]))
            }
            status.recordRules(count: ruleSet.rules.count, revision: ruleSet.revision)
            for warning in warnings { events.log(DaemonEvent(.rulesLoaded, "warning: \(warning)")) }
            events.log(
                DaemonEvent(
                    .rulesLoaded,
                    "reloaded \(ruleSet.rules.count) rules from \(ruleSet.files.count) files (\(ruleSet.revision))",
                    fields: ["RULES": String(ruleSet.rules.count), "RULES_REVISION": ruleSet.revision]))
            status.resolve(.reload)
            metrics.recordRuleLoad(ruleSet)
            writeReloadStatus(
                .init(generation: generation, accepted: true, message: "\(ruleSet.rules.count) rules live"))
        case .rejected(let problems):
            for problem in problems {
                events.log(
                    DaemonEvent(.rulesRejected, "rule reload rejected: \(problem)", fields: ["PROBLEM": problem]))
            }
            let summary =
                "reload rejected, old rules kept: \(problems.first ?? "?")"
                + (problems.count > 1 ? " (+\(problems.count - 1) more)" : "")
            status.recordError(summary, concern: .reload)
            metrics.recordRuleLoad(nil)
            writeReloadStatus(.init(generation: generation, accepted: false, message: summary))
        }
        metrics.write()
        ServiceNotifier.notify("READY=1\nSTATUS=\(status.line(queue: queue.count))")
    }

    /// Writes the outcome for `leakwatch reload`; a failure is logged and shown (the reload itself
    /// stands, but `systemctl reload` will wait in vain).
    private func writeReloadStatus(_ outcome: ReloadStatusFile.Status) {
        do {
            try reloadStatus.write(outcome)
        } catch {
            status.recordError(error.description)
            events.log(DaemonEvent(.error, "\(error)", fields: ["FILE": reloadStatus.path.escaped]))
        }
    }
}
