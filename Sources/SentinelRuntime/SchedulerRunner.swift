import JobSystem
import Logging
import NIOPosix
import PostgresStore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The production runner of the System `Sentinel`: it feeds the state machine its inputs and
/// performs its effects, and decides nothing itself.
///
/// - `listen(channel)`: a `PostgresListener` session (LISTEN on the libpq socket); once it is
///   up, `.listening`. When the session dies (`pg_terminate_backend`, a restart) the runner
///   feeds `.listenLost`; the sentinel asks to listen again (at once, then after every pass
///   until it is acknowledged).
/// - `setWakeTimer(after:)`: one deadline on the monotonic clock; `.wakeTimer` when it passes.
/// - `call(id, call)`: the statement on the scheduler's own session (`StoreCall.perform`),
///   then `.storeReply(id, reply)`. Calls run one at a time, as the sentinel makes them; the
///   session's `statement_timeout` is the sentinel's call timeout, so a hung statement comes
///   back as a failure instead of blocking the loop.
/// - Notifications (`pending_chunk`) become `.notification` inputs as the socket delivers them.
/// - `now` is the wall clock; `--record FILE` writes every input and its effects
///   (`SentinelRecorder`) for `simharness replay`.
///
/// Discord guild membership (`discord_guild_members`, kept by `sentinel guild …`): the runner
/// reads the membership version about once a second (`guildCheckPeriod`) and, when it moved,
/// reads every guild and feeds the sentinel `.guild(.members(…))` for each (a rebuild of its
/// filter) and `.guild(.guildLeft(…))` for a guild that has no members left, before the next
/// pass; these inputs are recorded like the others.
///
/// The runner also runs the maintenance jobs (`MaintenanceJob`: the reaper, offline marking,
/// clean-up) on their periods, as pg_cron did; a plain PostgreSQL has no pg_cron. With two
/// schedulers on one database (a blue/green deploy) both run them: each is one idempotent
/// statement.
///
/// Everything runs on one thread of its own (libpq blocks). A graceful shutdown (SIGTERM) is
/// seen between inputs: a pass in progress finishes (its calls follow each other without a
/// wait), then the sessions close.
public final class SchedulerRunner: Service, Sendable {
    /// What /status, /metrics and /ready read, updated after every input.
    public struct Status: Sendable {
        public init() {}
        public var metrics = SentinelMetrics()
        public var isReady = false
        public var isListening = false
        public var mode = Sentinel.WakeMode.periodic.rawValue
        public var maintenanceRuns: [String: Int] = [:]
        public var maintenanceRows: [String: Int] = [:]
        public var maintenanceErrors = 0
        public var lastError: String? = nil
        public var recordingError: String? = nil
        public var recordedInputs = 0
        /// The guild membership version the filters were last built from (nil: not read yet).
        public var guildMembershipVersion: Int64? = nil
        public var guilds = 0
    }

    /// How often the guild membership version is read.
    public static let guildCheckPeriod = Interval.seconds(1)

    public let conninfo: String
    public let profile: Profile
    let logger: Logger
    public let recordPath: String?
    public let status = Mutex(Status())
    private let stopping = Mutex(false)

    public init(conninfo: String, profile: Profile, logger: Logger, recordPath: String?) {
        self.conninfo = conninfo
        self.profile = profile
        self.logger = logger
        self.recordPath = recordPath
    }

    public func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        defer { thread.shutdownGracefully { _ in } }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await thread.runIfActive { try self.loop() }
            } onCancel: {
                self.stopping.withLock { $0 = true }
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
        }
    }

    /// The recording (`--record FILE`: created, or appended to, mode 0600), or none.
    struct Recording {
        var recorder: SentinelRecorder<FileDescriptorSink>?
        var fd: Int32 = -1
    }

    private func openRecording(_ sentinel: Sentinel) throws -> Recording {
        guard let recordPath else { return Recording() }
        let fd = open(recordPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RunnerError("cannot open the recording \(recordPath): errno \(errno)") }
        do {
            return Recording(recorder: try SentinelRecorder(sink: FileDescriptorSink(fd: fd), sentinel: sentinel), fd: fd)
        } catch {
            close(fd)
            throw RunnerError("cannot write the recording \(recordPath): \(error)")
        }
    }

    private func loop() throws {
        var sentinel = Sentinel(profile: profile)
        var recording = try openRecording(sentinel)
        defer { if recording.fd >= 0 { close(recording.fd) } }
        var store: PostgresStore? = nil
        var listener: PostgresListener? = nil
        var wakeAt: Int64? = nil
        var inbox: [Sentinel.Input] = [.start]
        var effects: [Sentinel.Effect] = []
        var dueAt: [MaintenanceJob: Int64] = [:]
        for job in MaintenanceJob.allCases { dueAt[job] = Self.monotonicMicros() + job.period(profile).micros }
        var guildVersion: Int64? = nil
        var knownGuilds: Set<String> = []
        var guildCheckAt = Self.monotonicMicros()
        let statementTimeout = "SET statement_timeout = \(max(1, sentinel.callTimeout.micros / 1_000))"

        /// The scheduler's session, opened on demand (libpq reconnects it after a loss).
        func session() -> PostgresStore? {
            if let store { return store }
            do {
                let connection = try PGConnection(conninfo)
                connection.onConnect = [statementTimeout]
                try connection.execute(statementTimeout)
                store = PostgresStore(connection: connection)
            } catch {
                note(error: "scheduler session: \(error)")
            }
            return store
        }

        while true {
            // Hand every queued input to the sentinel and carry out what it asks; replies and
            // acknowledgements queue further inputs, so a whole pass runs here.
            while !inbox.isEmpty {
                let input = inbox.removeFirst()
                let now = Self.wallClock()
                if recording.recorder != nil {
                    do { try recording.recorder!.record(input: input, at: now) } catch { stopRecording(&recording, error) }
                }
                effects.removeAll(keepingCapacity: true)
                sentinel.handle(input, now: now, effects: &effects)
                if recording.recorder != nil {
                    do { try recording.recorder!.record(effects: effects) } catch { stopRecording(&recording, error) }
                }
                for effect in effects {
                    switch effect {
                    case .listen(let channel):
                        listener = nil
                        do {
                            listener = try PostgresListener(conninfo: conninfo, channel: channel)
                            inbox.append(.listening)
                            logger.info("listening on \(channel)")
                        } catch {
                            note(error: "LISTEN \(channel): \(error)")
                        }
                    case .setWakeTimer(let after):
                        wakeAt = Self.monotonicMicros() + max(0, after.micros)
                    case .call(let id, let call):
                        let reply: StoreReply
                        if var s = session() {
                            reply = call.perform(on: &s)
                        } else {
                            reply = .failed(.connectionLost)
                        }
                        if case .failed(let error) = reply { note(error: "store call: \(error)") }
                        inbox.append(.storeReply(callID: id, reply))
                    }
                }
                publish(sentinel, recorded: recording.recorder?.inputs)
            }
            if stopping.withLock({ $0 }) { break }

            // Wait for a notification or the wake deadline (at most 250 ms, to see a shutdown).
            let now = Self.monotonicMicros()
            let untilWake = wakeAt.map { max(0, $0 - now) } ?? 250_000
            let timeout = Interval(micros: min(untilWake, 250_000))
            if let l = listener {
                do {
                    for n in try l.wait(timeout: timeout) { inbox.append(.notification(n)) }
                } catch {
                    listener = nil
                    logger.warning("LISTEN session lost: \(error)")
                    inbox.append(.listenLost)
                }
            } else if timeout.micros > 0 {
                usleep(UInt32(timeout.micros))
            }
            if let w = wakeAt, Self.monotonicMicros() >= w {
                wakeAt = nil
                inbox.append(.wakeTimer)
            }
            if Self.monotonicMicros() >= guildCheckAt, let s = session() {
                guildCheckAt = Self.monotonicMicros() + Self.guildCheckPeriod.micros
                do {
                    let version = try s.guildMembershipVersion()
                    if version != guildVersion {
                        let read = try s.guildMembership()
                        var present: Set<String> = []
                        for (guild, members) in read.guilds {
                            present.insert(guild)
                            inbox.append(.guild(.members(guild: guild, members: members)))
                        }
                        for gone in knownGuilds.subtracting(present).sorted() { inbox.append(.guild(.guildLeft(guild: gone))) }
                        knownGuilds = present
                        guildVersion = read.version
                        logger.info("guild membership version \(read.version): \(present.count) guilds")
                        status.withLock {
                            $0.guildMembershipVersion = read.version
                            $0.guilds = present.count
                        }
                    }
                } catch {
                    note(error: "guild membership: \(error)")
                }
            }
            for job in MaintenanceJob.allCases where Self.monotonicMicros() >= dueAt[job, default: 0] {
                dueAt[job] = Self.monotonicMicros() + job.period(profile).micros
                guard var s = session() else { continue }
                do {
                    let rows = try job.run(on: &s, profile: profile)
                    if rows > 0 { logger.info("\(job.rawValue): \(rows) rows") }
                    status.withLock {
                        $0.maintenanceRuns[job.rawValue, default: 0] += 1
                        $0.maintenanceRows[job.rawValue, default: 0] += rows
                    }
                } catch {
                    status.withLock { $0.maintenanceErrors += 1 }
                    note(error: "\(job.rawValue): \(error)")
                }
            }
        }
        logger.info("scheduler stopped after \(sentinel.metrics.passes) passes")
    }

    private func stopRecording(_ recording: inout Recording, _ error: any Error) {
        logger.error("recording stopped: \(error)")
        status.withLock { $0.recordingError = "\(error)" }
        recording.recorder = nil
    }

    private func note(error: String) {
        logger.warning("\(error)")
        status.withLock { $0.lastError = error }
    }

    private func publish(_ sentinel: Sentinel, recorded: Int?) {
        status.withLock {
            $0.metrics = sentinel.metrics
            $0.isReady = sentinel.isReady
            $0.isListening = sentinel.isListening
            $0.mode = sentinel.mode.rawValue
            if let recorded { $0.recordedInputs = recorded }
        }
    }

    public static func wallClock() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(micros: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }

    public static func monotonicMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}

public struct RunnerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
