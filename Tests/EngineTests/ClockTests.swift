import Testing
import Engine

/// Clock skew: steps, drift, and timers on a drifting clock.
@Suite struct ClockTests {
    @Test func stepMovesOnlyThatActorsLocalTime() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        let b = sim.addActor(named: "b")
        sim.advance(to: at(ms: 1_000))
        sim.stepClock(of: a, by: .seconds(Int64(5)))
        #expect(sim.localTime(of: a) == at(ms: 6_000))
        #expect(sim.localTime(of: b) == at(ms: 1_000))
        sim.stepClock(of: a, by: ms(-7_000))
        #expect(sim.localTime(of: a) == at(ms: -1_000))
        sim.advance(to: at(ms: 3_000))
        #expect(sim.localTime(of: a) == at(ms: 1_000), "a step is an offset: the rate is unchanged")
    }

    @Test func driftAccruesFromWhenItIsSetAndKeepsLocalTimeContinuous() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        sim.advance(to: at(ms: 10_000))
        sim.setDrift(of: a, ppb: 1_000_000)  // +1 ms per simulated second
        #expect(sim.localTime(of: a) == at(ms: 10_000), "no jump when drift is set")
        sim.advance(to: at(ms: 1_010_000))  // 1,000 s later
        #expect(sim.localTime(of: a) == at(ms: 1_011_000))
        // Changing the drift keeps the accrued offset and changes only the rate.
        sim.setDrift(of: a, ppb: -2_000_000)
        #expect(sim.localTime(of: a) == at(ms: 1_011_000))
        sim.advance(to: at(ms: 1_510_000))  // 500 s later: -1 s
        #expect(sim.localTime(of: a) == at(ms: 1_510_000))
        #expect(sim.clock(of: a).driftPPB == -2_000_000)
        // A step on a drifting clock adds to the drift so far.
        sim.stepClock(of: a, by: ms(250))
        #expect(sim.localTime(of: a) == at(ms: 1_510_250))
        sim.advance(to: at(ms: 1_511_000))
        #expect(sim.localTime(of: a).nanoseconds == 1_511_250_000_000 - 2_000_000)
    }

    @Test func localClockArithmeticIsExact() {
        var c = LocalClock()
        c.setDrift(ppb: 333, at: .zero)
        // 3 s at 333 ppb: 999 ns ahead.
        #expect(c.local(at: SimInstant(nanoseconds: 3_000_000_000)).nanoseconds == 3_000_000_999)
        #expect(c.virtualDuration(for: .seconds(Int64(1))).nanoseconds == 999_999_667)
    }

    /// A timer for a local duration fires after the drift-corrected virtual duration.
    @Test(arguments: [
        (Int64(100_000_000), Int64(909_090_909)),  // 10% fast: 1 local second is 1/1.1 s
        (Int64(-500_000_000), Int64(2_000_000_000)),  // half speed: 2 s
        (Int64(0), Int64(1_000_000_000)),
        (Int64(50_000), Int64(999_950_002)),  // 50 ppm fast
    ])
    func timerOnADriftingClock(ppb: Int64, expectedVirtualNanoseconds: Int64) {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        sim.advance(to: at(ms: 500))
        sim.setDrift(of: a, ppb: ppb)
        let localAtSet = sim.localTime(of: a)
        sim.setTimer(for: a, after: .seconds(Int64(1)), Tag(1))
        let e = drain(&sim)
        #expect(e.count == 1)
        #expect(e.first?.time == at(ms: 500) + .nanoseconds(expectedVirtualNanoseconds))
        // On the actor's own clock, (within a nanosecond of) one second went by.
        let localElapsed = sim.localTime(of: a) - localAtSet
        #expect(abs(localElapsed.nanoseconds - 1_000_000_000) <= 1, "local elapsed \(localElapsed)")
    }

    @Test func stepDoesNotMoveTimersAlreadySet() {
        // Timers are durations on the local clock's rate; a step is an offset change.
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        sim.setTimer(for: a, after: ms(100), Tag(1))
        sim.stepClock(of: a, by: .seconds(Int64(60)))
        #expect(drain(&sim).map(\.time) == [at(ms: 100)])
    }
}
