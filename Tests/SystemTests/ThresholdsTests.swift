import Foundation
import JobSystem
import Testing

/// The thresholds file the production sentinel reads, the static rules, and profile specs.
@Suite("Thresholds")
struct ThresholdsTests {
    // MARK: Static rules

    /// For each rule, the fixed thresholds changed so that exactly that rule breaks.
    static func breaking(_ rule: ThresholdRule) -> Thresholds {
        var t = Thresholds.fixed
        switch rule {
        case .onlineWindowCoversHeartbeats:
            t.heartbeatInterval = .seconds(21)  // 2 × 21 s + 5 s = 47 s > the 45 s window
        case .offlineMarkingNotBeforeOnlineWindow:
            t.offlineAfter = .seconds(30)
        case .offlineMarkingNotAfterOnlineWindow:
            t.offlineAfter = .minutes(5)
        case .claimTimeoutExceedsLongestChunk:
            t.claimTimeout = .minutes(2)  // ≤ 2 min longest chunk + 5 s
            t.reaperPeriod = .seconds(30)  // keeps the reaper rule
        case .reaperPeriodSmallAgainstClaimTimeout:
            t.reaperPeriod = .minutes(2)
        case .singleReclaimer:
            t.sentinelReclaimAfter = .seconds(60)
        case .fallbackBoundsAssignmentDelay:
            t.fallbackPeriod = .seconds(61)
        case .debounceShort:
            t.debounce = .seconds(2)
        }
        return t
    }

    @Test func fixedThresholdsKeepEveryRule() {
        #expect(Thresholds.fixed.ruleFailures().isEmpty)
    }

    @Test(arguments: ThresholdRule.allCases)
    func aSetBreakingOneRuleFailsWithItsName(_ rule: ThresholdRule) {
        let failures = Self.breaking(rule).ruleFailures()
        #expect(failures.map(\.rule) == [rule])
        #expect(failures.first?.description.hasPrefix(rule.rawValue + ": ") == true)
        #expect(!rule.reason.isEmpty)
    }

    @Test func rulesAtTheirBoundaries() {
        var t = Thresholds.fixed
        t.heartbeatInterval = .seconds(20)  // 2 × 20 + 5 = 45: exactly covered
        #expect(t.ruleFailures().isEmpty)
        t = .fixed
        t.sentinelReclaimAfter = .minutes(5)  // a second reclaimer no shorter than the timeout
        #expect(t.ruleFailures().isEmpty)
        t = .fixed
        t.reaperPeriod = .seconds(75)  // a quarter of 5 minutes
        #expect(t.ruleFailures().isEmpty)
        t = .fixed
        t.debounce = .seconds(1)
        #expect(t.ruleFailures().isEmpty)
    }

    @Test func assumptionsMoveTheRules() {
        var a = ThresholdAssumptions()
        a.longestChunk = .minutes(6)
        #expect(Thresholds.fixed.ruleFailures(a).map(\.rule) == [.claimTimeoutExceedsLongestChunk])
        a = ThresholdAssumptions()
        a.maxAssignmentDelay = .seconds(20)
        #expect(Thresholds.fixed.ruleFailures(a).map(\.rule) == [.fallbackBoundsAssignmentDelay])
        a = ThresholdAssumptions()
        a.networkDelay = .seconds(16)  // 2 × 15 + 16 = 46 > 45
        #expect(Thresholds.fixed.ruleFailures(a).map(\.rule) == [.onlineWindowCoversHeartbeats])
    }

    @Test func todaysValuesFailWithTheirReasons() {
        let t = Thresholds.today
        // The values of the seeds and today.md.
        #expect(t.heartbeatInterval == .seconds(15))
        #expect(t.onlineWindow == .seconds(30))
        #expect(t.offlineAfter == .minutes(5))
        #expect(t.offlineMarkingPeriod == .minutes(1))
        #expect(t.claimTimeout == .minutes(5))
        #expect(t.reaperPeriod == .minutes(1))
        #expect(t.sentinelReclaimAfter == .seconds(60))
        #expect(t.fallbackPeriod == .seconds(30))
        #expect(t.debounce == .milliseconds(50))
        #expect(t.assignmentBatch == 100)
        #expect(
            t.ruleFailures().map(\.rule) == [
                .onlineWindowCoversHeartbeats, .offlineMarkingNotAfterOnlineWindow, .singleReclaimer,
            ])
    }

    // MARK: The file

    static func examples(_ name: String) throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return Array(try Data(contentsOf: root.appendingPathComponent("examples/thresholds/\(name)")))
    }

    @Test func theExampleFilesAreTodayAndFixed() throws {
        let today = try ThresholdsFile(bytes: Self.examples("today.env"))
        #expect(today.thresholds == .today)
        #expect(today.defaulted.isEmpty)
        let fixed = try ThresholdsFile(bytes: Self.examples("fixed.env"))
        #expect(fixed.thresholds == .fixed)
        #expect(fixed.defaulted.isEmpty)
    }

    @Test func parsesCommentsExportsCRLFAndDefaults() throws {
        let text = "# a comment\r\n\r\nexport NODE_HEARTBEAT_INTERVAL=10s\r\n  SENTINEL_ONLINE_WINDOW=1m30s  \nNODE_OFFLINE_AFTER=90s\nSENTINEL_RECLAIM_AFTER=off\nSENTINEL_DEBOUNCE=0s\nSENTINEL_BATCH_SIZE=250\n"
        let f = try ThresholdsFile(text: text)
        #expect(f.thresholds.heartbeatInterval == .seconds(10))
        #expect(f.thresholds.onlineWindow == .seconds(90))
        #expect(f.thresholds.offlineAfter == .seconds(90))
        #expect(f.thresholds.sentinelReclaimAfter == nil)
        #expect(f.thresholds.debounce == .milliseconds(0))
        #expect(f.thresholds.assignmentBatch == 250)
        #expect(f.thresholds.claimTimeout == Thresholds.fixed.claimTimeout)
        #expect(f.defaulted == [.offlineMarkingPeriod, .claimTimeout, .reaperPeriod, .fallbackPeriod])
    }

    @Test func writtenFilesParseBack() throws {
        var t = Thresholds.today
        t.debounce = .milliseconds(1_250)
        t.claimTimeout = .seconds(210)
        #expect(try ThresholdsFile(text: t.envText).thresholds == t)
        #expect(try ThresholdsFile(text: Thresholds.fixed.envText).thresholds == .fixed)
    }

    /// Each bad file gives an error naming its line (0: the whole file) and what is wrong.
    @Test(arguments: [
        ("SENTINEL_ONLINE_WINDOW=30s\nSENTINEL_ONLINE_WNDOW=45s\n", 2, "unknown key SENTINEL_ONLINE_WNDOW"),
        ("# c\nNODE_HEARTBEAT_INTERVAL=15s\n\nNODE_HEARTBEAT_INTERVAL=10s", 4, "set twice (first on line 2)"),
        ("NODE_HEARTBEAT_INTERVAL 15s", 1, "expected KEY=VALUE"),
        ("SENTINEL_ONLINE_WINDOW=30", 1, "has no unit"),
        ("SENTINEL_ONLINE_WINDOW=30sec", 1, "unknown unit 'sec'"),
        ("SENTINEL_ONLINE_WINDOW=30s5m", 1, "larger to smaller"),
        ("SENTINEL_ONLINE_WINDOW=0s", 1, "longer than zero"),
        ("SENTINEL_ONLINE_WINDOW=25h", 1, "longer than a day"),
        ("SENTINEL_ONLINE_WINDOW=-5s", 1, "not a duration"),
        ("SENTINEL_ONLINE_WINDOW=\"30s\"", 1, "not a duration"),
        ("SENTINEL_ONLINE_WINDOW=99999999999s", 1, "too many digits"),
        ("CHUNK_CLAIM_TIMEOUT=off", 1, "not a duration"),
        ("SENTINEL_BATCH_SIZE=0", 1, "outside 1...100000"),
        ("SENTINEL_BATCH_SIZE=1e3", 1, "not a whole number"),
        ("SENTINEL_BATCH_SIZE=", 1, "has no value"),
        ("SENTINEL_DEBOUNCE=50ms # short", 1, "no trailing text"),
        ("SENTINEL_DEBOUNCE = 50ms", 1, "no spaces around '='"),
        ("=50ms", 1, "missing key"),
        ("\nSENTINEL_DEBOUNCE=5\u{7}0ms", 2, "control character"),
    ])
    func badFilesNameTheLine(_ text: String, _ line: Int, _ fragment: String) {
        do {
            _ = try ThresholdsFile(text: text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(text.debugDescription): \(error)")
            #expect(error.message.contains(fragment), "\(text.debugDescription): \(error)")
        }
    }

    @Test func theSameKeysFromAProcessEnvironment() throws {
        let env = ["PATH": "/usr/bin", "SENTINEL_ONLINE_WINDOW": "1m", "NODE_OFFLINE_AFTER": "1m", "HOME": "/root"]
        let f = try ThresholdsFile(environment: env)
        #expect(f.thresholds.onlineWindow == .minutes(1) && f.thresholds.offlineAfter == .minutes(1))
        #expect(f.defaulted.count == ThresholdKey.allCases.count - 2)
        do {
            _ = try ThresholdsFile(environment: ["CHUNK_CLAIM_TIMEOUT": "5 minutes"])
            Issue.record("accepted a bad value")
        } catch {
            #expect(error.line == 0 && error.message.hasPrefix("CHUNK_CLAIM_TIMEOUT=5 minutes: "))
        }
    }

    @Test func badBytesAreErrorsNotTraps() {
        #expect(throws: ThresholdsFile.ParseError(line: 0, "file is not UTF-8 text")) {
            try ThresholdsFile(bytes: [0x4E, 0xFF, 0xFE, 0x3D])
        }
        let big = [UInt8](repeating: UInt8(ascii: "#"), count: ThresholdsFile.maxBytes + 1)
        #expect(throws: ThresholdsFile.ParseError.self) { try ThresholdsFile(bytes: big) }
    }

    @Test func durations() throws {
        #expect(try DurationText.parse("1m30s") == .seconds(90))
        #expect(try DurationText.parse("1h") == .hours(1))
        #expect(try DurationText.parse("1s500ms") == .milliseconds(1_500))
        for d: Interval in [.seconds(90), .minutes(5), .milliseconds(50), .milliseconds(1_500), .hours(2), .seconds(3_661)] {
            #expect(try DurationText.parse(DurationText.format(d)) == d)
        }
        #expect(DurationText.format(.seconds(90)) == "1m30s")
        #expect(DurationText.format(.milliseconds(50)) == "50ms")
    }

    // MARK: Profile specs

    @Test func todaysThresholdsAsAProfileSpec() throws {
        let spec = Thresholds.today.spec(base: .fixed)
        #expect(spec == "fixed:online-window=30s:offline-after=5m:reclaim-after=1m")
        let p = try #require(Profile.named(spec))
        #expect(p.name == spec)
        #expect(p.has(.mismatchedOnlineThresholds) && p.has(.competingReclaim))
        #expect(p.defects.members.count == 2)
        #expect(p.sentinelOnlineWindow == .seconds(30))
        #expect(p.offlineMarkingAge == .minutes(5))
        #expect(p.legacyReclaimSilence == .seconds(60))
        #expect(Thresholds(profile: p) == .today)
        // Thresholds that agree switch the threshold-made defects off again.
        let healed = try Profile(spec: "legacy:online-window=45s:offline-after=45s:reclaim-after=off")
        #expect(!healed.has(.mismatchedOnlineThresholds) && !healed.has(.competingReclaim))
        #expect(healed.has(.missingTrigger))
        #expect(Thresholds.fixed.spec(base: .fixed) == "fixed")
    }

    @Test func badProfileSpecsSayWhy() {
        #expect(Profile.named("fixed:heartbeat=10") == nil)
        #expect(throws: Profile.SpecError.self) { try Profile(spec: "nope:heartbeat=10s") }
        #expect(throws: Profile.SpecError.self) { try Profile(spec: "fixed:heartbeet=10s") }
        #expect(throws: Profile.SpecError.self) { try Profile(spec: "fixed:heartbeat=10s:heartbeat=5s") }
        #expect(throws: Profile.SpecError.self) { try Profile(spec: "fixed:") }
        do {
            _ = try Profile(spec: "fixed:batch=0")
        } catch {
            #expect(error.description.contains("batch"))
        }
    }
}
