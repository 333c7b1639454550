import ArgumentParser

/// `simharness`: run, replay, shrink and sweep deterministic simulations of the job system.
struct SimHarnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simharness",
        abstract: "Deterministic simulation testing for the distributed job system.",
        subcommands: [
            ListCommand.self, RunCommand.self, RecordCommand.self, ReplayCommand.self, DiffCommand.self, ShrinkCommand.self,
            SweepCommand.self, SweepMergeCommand.self, SweepWorkerCommand.self, ReportCommand.self,
            TuneCommand.self, ValidateThresholdsCommand.self,
            BenchCommand.self, DemoCommand.self,
        ]
    )
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the hot paths.",
        subcommands: [EngineBench.self, FleetBench.self]
    )
}
