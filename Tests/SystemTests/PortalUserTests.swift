import Testing

@testable import JobSystem

/// Drives one `PortalUser` by hand.
struct PortalUserRig {
    static let t0 = Timestamp(unixSeconds: 1_700_000_000)
    static let user = UserID(Identifier(high: 5, low: 5))
    static let jobID = JobID(Identifier(high: 6, low: 6))
    static let config: JSONValue = NodeAgentRig.config

    var portal: PortalUser
    var now = PortalUserRig.t0

    init(profile: Profile = .fixed, submissions: [JobSubmission]? = nil) {
        let list = submissions ?? [JobSubmission(config: Self.config, iterations: 3_000, accessType: .public, at: Self.t0 + .seconds(5))]
        portal = PortalUser(settings: PortalUser.Settings(userID: Self.user, profile: profile), submissions: list)
    }

    mutating func feed(_ input: PortalUser.Input) -> [PortalUser.Effect] {
        var effects: [PortalUser.Effect] = []
        portal.handle(input, now: now, effects: &effects)
        return effects
    }

    static func sends(_ effects: [PortalUser.Effect]) -> [(id: UInt64, request: APIRequest)] {
        effects.compactMap { if case .send(let id, let request) = $0 { return (id, request) } else { return nil } }
    }

    static func only(_ effects: [PortalUser.Effect]) throws -> (id: UInt64, request: APIRequest) {
        let all = sends(effects)
        try #require(all.count == 1)
        return all[0]
    }

    static func job(_ status: String, _ completed: Int, result: JSONValue = nil) -> APIResponse {
        NodeAgentRig.ok([
            "id": .string(jobID.uuidString), "status": .string(status), "totalIterations": 3_000,
            "completedIterations": .number(Double(completed)), "result": result,
        ])
    }

    /// Starts, submits (fixed flow) and answers the creation; returns the first poll.
    mutating func created() throws -> (id: UInt64, request: APIRequest) {
        _ = feed(.start)
        now = Self.t0 + .seconds(5)
        let create = try Self.only(feed(.timer(.submit)))
        return try Self.only(feed(.response(requestID: create.id, NodeAgentRig.ok(["jobId": .string(Self.jobID.uuidString), "chunks": 3, "queued": true]))))
    }
}

@Suite("PortalUser")
struct PortalUserTests {
    typealias Rig = PortalUserRig

    @Test func fixedProfileCreatesWithOneCall() throws {
        var rig = Rig()
        #expect(rig.feed(.start) == [.setTimer(.submit, after: .seconds(5))])
        rig.now = Rig.t0 + .seconds(5)
        let create = try Rig.only(rig.feed(.timer(.submit)))
        #expect(create.request.method == "POST" && create.request.path == "/job-create")
        #expect(create.request.user == Rig.user)
        #expect(try JSONValue.parse(create.request.body) == ["config": Rig.config, "iterations": 3_000, "accessType": "public"])
        #expect(rig.portal.jobs[0].outcome == .inProgress)

        rig.now = rig.now + .milliseconds(40)
        let effects = rig.feed(.response(requestID: create.id, NodeAgentRig.ok(["jobId": .string(Rig.jobID.uuidString), "chunks": 3, "queued": true])))
        #expect(effects.contains(.cancelTimer(.requestTimeout(create.id))))
        #expect(rig.portal.jobs[0].outcome == .created(Rig.jobID, chunks: 3))
        #expect(rig.portal.jobs[0].createdAt == rig.now)
        let poll = try Rig.only(effects)
        #expect(poll.request.method == "GET" && poll.request.path == "/jobs/\(Rig.jobID.uuidString)")
        #expect(poll.request.user == Rig.user)
    }

    @Test func racyProfileUpsertsThenCreatesByHash() throws {
        var rig = Rig(profile: .fixed(with: .racyConfigUpsert))
        _ = rig.feed(.start)
        rig.now = Rig.t0 + .seconds(5)
        let upsert = try Rig.only(rig.feed(.timer(.submit)))
        #expect(upsert.request.path == "/config-upsert")
        #expect(try JSONValue.parse(upsert.request.body) == ["config": Rig.config])

        let hash = ConfigHash.of(Rig.config, hasher: SodiumSHA256())
        let create = try Rig.only(rig.feed(.response(requestID: upsert.id, NodeAgentRig.ok(["success": true, "hash": .string(hash.hex)]))))
        #expect(create.request.path == "/job-create")
        #expect(try JSONValue.parse(create.request.body) == ["configHash": .string(hash.hex), "iterations": 3_000, "accessType": "public"])

        // The cleanup removed the config between the two calls: the submission fails, with why.
        _ = rig.feed(.response(requestID: create.id, NodeAgentRig.refused(.store(.configNotFound(hash)))))
        let failure = try #require(rig.portal.submissionFailures.first)
        #expect(failure.step == "/job-create" && failure.status == 404 && failure.code == "config_not_found")
        #expect(failure.reason.hasPrefix("404 config_not_found"))
        #expect(rig.portal.isDone)
    }

    @Test func submissionsGoOutWhenDueInTimeOrder() throws {
        let late = JobSubmission(config: Rig.config, iterations: 1_000, accessType: .private, at: Rig.t0 + .seconds(30))
        let early = JobSubmission(
            config: Rig.config, iterations: 2_000, accessType: .discord, discordServerID: "42", at: Rig.t0 + .seconds(10))
        var rig = Rig(submissions: [late, early])
        #expect(rig.feed(.start) == [.setTimer(.submit, after: .seconds(10))])
        rig.now = Rig.t0 + .seconds(10)
        var effects = rig.feed(.timer(.submit))
        #expect(try JSONValue.parse(try Rig.only(effects).request.body)["discordServerId"] == "42")
        #expect(effects.contains(.setTimer(.submit, after: .seconds(20))))
        #expect(rig.portal.jobs[1].outcome == .inProgress && rig.portal.jobs[0].outcome == .notYetSubmitted)
        rig.now = Rig.t0 + .seconds(30)
        effects = rig.feed(.timer(.submit))
        #expect(try JSONValue.parse(try Rig.only(effects).request.body)["iterations"] == 1_000)
    }

    @Test func pollsEveryTwoSecondsUntilCompleted() throws {
        var rig = Rig()
        var poll = try rig.created()
        let results = DPSModel.simulateJSON()
        let readings: [(String, Int, JSONValue)] = [("pending", 0, nil), ("running", 1_000, nil), ("running", 1_000, nil), ("completed", 3_000, results)]
        for (i, (status, completed, result)) in readings.enumerated() {
            rig.now = rig.now + .milliseconds(30)
            let effects = rig.feed(.response(requestID: poll.id, Rig.job(status, completed, result: result)))
            if i == readings.count - 1 {
                #expect(Rig.sends(effects).isEmpty)
                #expect(!effects.contains { if case .setTimer(.poll, _) = $0 { return true } else { return false } })
                break
            }
            #expect(effects.contains(.setTimer(.poll(0), after: .seconds(2))))
            rig.now = rig.now + .seconds(2)
            poll = try Rig.only(rig.feed(.timer(.poll(0))))
        }
        let record = rig.portal.jobs[0]
        #expect(record.polls == 4)
        // The unchanged third reading is counted, not recorded.
        #expect(record.observations.map(\.completedIterations) == [0, 1_000, 3_000])
        #expect(record.observations.map(\.status) == [.pending, .running, .completed])
        #expect(record.completedAt == rig.now && record.result == results)
        #expect(rig.portal.anomalies.isEmpty && rig.portal.isDone)
        // A stray poll timer after completion sends nothing.
        #expect(rig.feed(.timer(.poll(0))).isEmpty)
    }

    @Test func flagsBackwardsProgressAndIncompleteCompletion() throws {
        var rig = Rig()
        var poll = try rig.created()
        for (status, completed) in [("running", 2_000), ("running", 1_000), ("pending", 1_000), ("completed", 0)] {
            _ = rig.feed(.response(requestID: poll.id, Rig.job(status, completed)))
            rig.now = rig.now + .seconds(2)
            if status != "completed" { poll = try Rig.only(rig.feed(.timer(.poll(0)))) }
        }
        let anomalies = rig.portal.anomalies
        #expect(anomalies.count == 5, "\(anomalies)")
        try #require(anomalies.count == 5)
        guard case .progressWentBackwards(0, 2_000, 1_000, _) = anomalies[0] else { Issue.record("\(anomalies[0])"); return }
        guard case .statusWentBackwards(0, .running, .pending, _) = anomalies[1] else { Issue.record("\(anomalies[1])"); return }
        guard case .progressWentBackwards(0, 1_000, 0, _) = anomalies[2] else { Issue.record("\(anomalies[2])"); return }
        // Completed with no result and no progress: today's bugs 1 and 2 as the user sees them.
        #expect(rig.portal.jobs[0].anomalies.count == 5)
        guard case .completedWithoutResult(0, _) = rig.portal.jobs[0].anomalies[3] else { Issue.record("no result anomaly"); return }
        guard case .completedWithIncompleteProgress(0, 0, 3_000, _) = rig.portal.jobs[0].anomalies[4] else {
            Issue.record("no progress anomaly")
            return
        }
    }

    @Test func lostPollIsRetriedAtOnce() throws {
        var rig = Rig()
        let poll = try rig.created()
        rig.now = rig.now + .seconds(10)
        let retry = try Rig.only(rig.feed(.timer(.requestTimeout(poll.id))))
        #expect(retry.request == poll.request && retry.id != poll.id)
        #expect(rig.portal.jobs[0].pollTimeouts == 1)
        // The late answer to the lost poll is ignored; the retry's answer counts.
        #expect(rig.feed(.response(requestID: poll.id, Rig.job("running", 1_000))).isEmpty)
        _ = rig.feed(.response(requestID: retry.id, Rig.job("running", 1_000)))
        #expect(rig.portal.jobs[0].observations.count == 1)
    }

    @Test func lostSubmissionIsResentOnceThenGivenUp() throws {
        var rig = Rig()
        _ = rig.feed(.start)
        rig.now = Rig.t0 + .seconds(5)
        let first = try Rig.only(rig.feed(.timer(.submit)))
        rig.now = rig.now + .seconds(10)
        let second = try Rig.only(rig.feed(.timer(.requestTimeout(first.id))))
        #expect(second.request == first.request)
        #expect(rig.portal.jobs[0].resentAfterLoss)
        rig.now = rig.now + .seconds(10)
        #expect(Rig.sends(rig.feed(.timer(.requestTimeout(second.id)))).isEmpty)
        let failure = try #require(rig.portal.submissionFailures.first)
        #expect(failure.status == nil && failure.step == "/job-create")
        #expect(rig.portal.isDone)
    }
}

extension DPSModel {
    /// A real job result as JSON, for the portal's readings.
    static func simulateJSON() -> JSONValue {
        let chunk = try! DPSModel(config: SimConfig(json: PortalUserRig.config)).run(seedOffset: 0, iterations: 30)
        return SimulationResult(chunk).json
    }
}
