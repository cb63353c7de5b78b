import Foundation
import LeakwatchCore
import LeakwatchOutputs
import ServiceLifecycle
import Systemd
import UnixSignals

/// Talks to systemd and admins: READY, STATUS and watchdog pings, SIGHUP reloads, STOPPING.
struct ControlService: Service {
    let rules: RuleSetStore
    let status: DaemonStatus
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
        }
    }

    /// Builds the whole new rule set and runs its examples; swaps only on success. Either way
    /// the outcome is logged, shown in STATUS and written for `leakwatch reload`, then READY=1.
    func reload() {
        ServiceNotifier.notify(
            "RELOADING=1\nMONOTONIC_USEC=\(ServiceNotifier.monotonicMicroseconds)\nSTATUS=reloading rules")
        let generation = reloadStatus.read().generation + 1
        let outcome: RuleSetStore.LoadOutcome
        do {
            let configuration = try reloadConfiguration()
            outcome = RuleSetStore.load(
                configuration.ruleDirectories, jit: configuration.jit,
                cacheDirectory: configuration.stateDirectory + "/cache")
        } catch {
            outcome = .rejected([error.description])
        }
        switch outcome {
        case .loaded(let ruleSet, let warnings):
            rules.replace(with: ruleSet)
            status.recordRules(count: ruleSet.rules.count, revision: ruleSet.revision)
            for warning in warnings { events.log(DaemonEvent(.rulesLoaded, "warning: \(warning)")) }
            events.log(
                DaemonEvent(
                    .rulesLoaded,
                    "reloaded \(ruleSet.rules.count) rules from \(ruleSet.files.count) files (\(ruleSet.revision))",
                    fields: ["RULES": String(ruleSet.rules.count), "RULES_REVISION": ruleSet.revision]))
            reloadStatus.write(
                .init(generation: generation, accepted: true, message: "\(ruleSet.rules.count) rules live"))
        case .rejected(let problems):
            for problem in problems {
                events.log(
                    DaemonEvent(.rulesRejected, "rule reload rejected: \(problem)", fields: ["PROBLEM": problem]))
            }
            let summary =
                "reload rejected, old rules kept: \(problems.first ?? "?")"
                + (problems.count > 1 ? " (+\(problems.count - 1) more)" : "")
            status.recordError(summary)
            reloadStatus.write(.init(generation: generation, accepted: false, message: summary))
        }
        ServiceNotifier.notify("READY=1\nSTATUS=\(status.line(queue: queue.count))")
    }
}
