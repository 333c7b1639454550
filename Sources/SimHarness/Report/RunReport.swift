/// The HTML page of one run: who and what (scenario, profile, seed, digest, verdict), the
/// faults and violations over virtual time, the sampled timeline as charts, the measures, and
/// each violation with the events that led to it.
public struct RunReport {
    public var scenario: String
    public var summary: String
    public var profile: String
    public var seed: UInt64
    public var passed: Bool
    public var mustBeClean: Bool
    public var expected: [String]
    public var outcome: RunOutcome
    public var faults: [FaultSpan]

    public init(
        scenario: String, summary: String, profile: String, seed: UInt64, passed: Bool, mustBeClean: Bool,
        expected: [String], outcome: RunOutcome, faults: [FaultSpan]
    ) {
        self.scenario = scenario
        self.summary = summary
        self.profile = profile
        self.seed = seed
        self.passed = passed
        self.mustBeClean = mustBeClean
        self.expected = expected
        self.outcome = outcome
        self.faults = faults
    }

    /// The charts drawn, by title (one `<svg>` each, plus the event lane).
    public static let chartTitles = ["Chunks", "Online nodes", "Jobs", "Assignment delay (s)"]

    public var html: String {
        let o = outcome
        let runEnd = max(o.simSeconds, o.timeline?.samples.last?.seconds ?? 0, 1)
        let end = activityEnd(runEnd: runEnd)
        let axis = TimeAxis(end: end)
        let marks = o.violations.map { (t: $0.time.seconds, name: $0.invariant.rawValue) }
        var b = ""
        b += header
        b += "<h2>Timeline</h2>\n"
        b += "<p class=\"legend\"><span><i class=\"sw band\" style=\"background:#f59e0b\"></i>fault (band: from start to its end)</span>"
        b += "<span><i class=\"sw\" style=\"background:#cf222e\"></i>invariant violation</span>"
        b += "<span>virtual time; samples every \(HTML.duration(o.timeline?.period.seconds ?? 0))</span>"
        if end < runEnd {
            b += "<span>charts end at \(HTML.duration(end)): nothing changes from there to the end of the run at \(HTML.duration(runEnd))</span>"
        }
        b += "</p>\n"
        b += EventLane(axis: axis, faults: faults, violations: marks).svg() + "\n"
        if let tl = o.timeline, !tl.samples.isEmpty {
            let s = tl.samples
            let charts: [(String, [Series])] = [
                ("Chunks", [
                    Series(name: "pending", color: "#d97706", values: s.map { ($0.seconds, Double($0.pendingChunks)) }),
                    Series(name: "running", color: "#0969da", values: s.map { ($0.seconds, Double($0.runningChunks)) }),
                ]),
                ("Online nodes", [
                    Series(name: "online (store rows)", color: "#1a7f37", values: s.map { ($0.seconds, Double($0.onlineNodes)) })
                ]),
                ("Jobs", [
                    Series(name: "submitted", color: "#8c959f", values: s.map { ($0.seconds, Double($0.jobs)) }, dashed: true),
                    Series(name: "completed", color: "#8250df", values: s.map { ($0.seconds, Double($0.completedJobs)) }),
                ]),
                ("Assignment delay (s)", [
                    Series(name: "p50 so far", color: "#0e7490", values: s.map { ($0.seconds, $0.assignmentDelayP50) }, step: false),
                    Series(name: "mean since previous sample", color: "#bf3989", values: s.map { ($0.seconds, $0.assignmentDelayRecent) }, step: false, dashed: true),
                ]),
            ]
            for (title, series) in charts {
                b += "<h3>\(HTML.escape(title))</h3>\n<p class=\"legend\">"
                for se in series {
                    let style = se.dashed ? "background:repeating-linear-gradient(90deg,\(se.color) 0 5px,transparent 5px 8px)" : "background:\(se.color)"
                    b += "<span><i class=\"sw\" style=\"\(style)\"></i>\(HTML.escape(se.name))</span>"
                }
                if series.allSatisfy({ $0.values.allSatisfy { $0.v == nil } }) { b += "<span>(no values in this run)</span>" }
                b += "</p>\n"
                b += LineChart(title: title, axis: axis, series: series, faults: faults, violations: marks).svg() + "\n"
            }
        } else {
            b += "<p class=\"sub\">No timeline was sampled for this run.</p>\n"
        }
        b += measuresSection
        b += violationsSection
        return HTML.page(title: "\(scenario) [\(profile)] seed \(seed)", body: b)
    }

    /// Where the charts end: a little after the last change of any sampled value, fault or
    /// violation, so a run that settles early is not drawn as a flat line over most of the
    /// page. Never later than the run.
    func activityEnd(runEnd: Double) -> Double {
        var last = 0.0
        if let s = outcome.timeline?.samples, let final = s.last {
            func key(_ x: Timeline.Sample) -> [Double?] {
                [Double(x.pendingChunks), Double(x.runningChunks), Double(x.onlineNodes), Double(x.completedJobs),
                 Double(x.jobs), x.assignmentDelayP50, x.assignmentDelayRecent]
            }
            let settled = key(final)
            if let i = s.lastIndex(where: { key($0) != settled }) { last = s[min(i + 1, s.count - 1)].seconds }
        }
        for f in faults {
            last = max(last, f.start)
            if let e = f.end, e < runEnd { last = max(last, e) }
        }
        for v in outcome.violations { last = max(last, v.time.seconds) }
        let end = last + max(60, last * 0.15)
        return end >= runEnd * 0.8 ? runEnd : end
    }

    var header: String {
        let o = outcome
        let violated = o.violated.map(\.rawValue)
        var h = "<h1>\(HTML.escape(scenario)) <span class=\"badge \(passed ? "pass" : "fail")\">\(passed ? "PASSED" : "FAILED")</span></h1>\n"
        h += "<p class=\"sub\">\(HTML.escape(summary))</p>\n<dl class=\"facts\">\n"
        let expectation = mustBeClean ? "no invariant violated" : expected.isEmpty ? "anything (no exposed defect on)" : "violates " + expected.joined(separator: ", ")
        let facts: [(String, String)] = [
            ("profile", profile), ("seed", String(seed)), ("digest", "\(o.digest)"),
            ("expected", expectation), ("violated", violated.isEmpty ? "nothing" : violated.joined(separator: ", ")),
            ("jobs", "\(o.jobsCompleted) of \(o.jobsTotal) completed"),
            ("run", "\(o.events) events, \(HTML.duration(o.simSeconds)) virtual"),
            ("replay", "simharness run \(scenario) --profile \(profile) --seed \(seed)"),
        ]
        for (k, v) in facts {
            let mono = k == "digest" || k == "replay"
            h += "<dt>\(k)</dt><dd\(mono ? " class=\"mono\"" : "")>\(HTML.escape(v))</dd>\n"
        }
        return h + "</dl>\n"
    }

    var measuresSection: String {
        let m = outcome.measures
        func s(_ x: Double) -> String { HTML.fixed(x, 2) + " s" }
        let hasLatency = m.jobLatencyMs.totalCount > 0, hasDelay = m.assignmentDelayMs.totalCount > 0
        let rows: [(String, String)] = [
            ("job latency p50", hasLatency ? s(m.jobLatencyP50) : "–"),
            ("job latency p99", hasLatency ? s(m.jobLatencyP99) : "–"),
            ("assignment delay p50", hasDelay ? s(m.assignmentDelayP50) : "–"),
            ("assignment delay p99", hasDelay ? s(m.assignmentDelayP99) : "–"),
            ("jobs completed", String(m.jobsCompleted)), ("chunks completed", String(m.chunksCompleted)),
            ("computations", String(m.computations)), ("duplicate executions", String(m.duplicateExecutions)),
            ("wasted computations", String(m.wastedComputations)),
            ("reclaimed by reaper", String(m.reclaimedByReaper)), ("reclaimed by sentinel", String(m.reclaimedBySentinel)),
            ("notifications dropped", String(m.notificationsDropped)),
            ("assignments to unsubscribed nodes", String(m.assignmentsToUnsubscribed)),
            ("online-but-idle node-seconds", String(m.onlineButIdleNodeSeconds)),
            ("API requests", String(m.apiRequests)), ("store errors", String(m.storeErrors)),
            ("submissions lost", String(m.submissionsLost)), ("unreadable jobs", String(m.unreadableJobs)),
            ("bloom false-positive assignments", String(m.bloomFalsePositiveAssignments)),
            ("guild filter false positives", "\(m.guildFilterFalsePositives) of \(m.guildFilterProbes) probes"),
            ("attacks without target", String(m.attacksWithoutTarget)),
        ]
        var h = "<h2>Measures</h2>\n<div class=\"cols\"><table>\n"
        let half = (rows.count + 1) / 2
        for (i, (k, v)) in rows.enumerated() {
            if i == half { h += "</table><table>\n" }
            h += "<tr><td>\(HTML.escape(k))</td><td class=\"num\">\(HTML.escape(v))</td></tr>\n"
        }
        h += "</table></div>\n<h3>API rejections by code</h3>\n"
        let rejections = m.sortedRejections
        if rejections.isEmpty {
            h += "<p class=\"sub\">none</p>\n"
        } else {
            h += "<table><tr><th>code</th><th class=\"num\">count</th></tr>\n"
            for (code, n) in rejections { h += "<tr><td class=\"mono\">\(HTML.escape(code))</td><td class=\"num\">\(n)</td></tr>\n" }
            h += "</table>\n"
        }
        return h
    }

    var violationsSection: String {
        let vs = outcome.violations
        var h = "<h2>Violations (\(vs.count))</h2>\n"
        if vs.isEmpty { return h + "<p class=\"sub\">none</p>\n" }
        h += "<p class=\"sub\">The observer keeps the first five of each invariant.</p>\n"
        h += "<table><tr><th>time</th><th>invariant</th><th>what</th></tr>\n"
        for v in vs {
            let expectedOne = expected.contains(v.invariant.rawValue)
            h += "<tr\(mustBeClean || !expectedOne ? " class=\"bad\"" : "")><td class=\"num\">\(HTML.escape(HTML.duration(v.time.seconds)))</td>"
            h += "<td class=\"mono\">\(HTML.escape(v.invariant.rawValue))</td><td>\(HTML.escape(v.message))"
            if !v.recentEvents.isEmpty {
                h += "<details><summary>last \(v.recentEvents.count) events</summary><pre>"
                h += HTML.escape(v.recentEvents.joined(separator: "\n")) + "</pre></details>"
            }
            h += "</td></tr>\n"
        }
        return h + "</table>\n"
    }
}
