import Testing
import Engine

/// A tiny restartable process: a counter it persists, and a scratch value it does not.
struct CounterProcess: Restartable {
    var persisted: Int
    var scratch: Int
    init(restoringFrom durable: Int) {
        persisted = durable
        scratch = 0
    }
    var durable: Int { persisted }
}

/// Crashes, restarts, and what survives them.
@Suite struct KernelTests {
    @Test func crashDropsPendingTimersEvenAfterRestart() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        let b = sim.addActor(named: "b")
        let h = sim.setTimer(for: a, after: ms(100), Tag(1))
        sim.setTimer(for: b, after: ms(100), Tag(2))
        sim.advance(to: at(ms: 10))
        sim.crash(a)
        #expect(!sim.isUp(a))
        #expect(sim.incarnation(of: a) == 1)
        sim.advance(to: at(ms: 20))
        sim.restart(a)
        #expect(sim.isUp(a))
        // A timer the new incarnation sets does fire.
        sim.setTimer(for: a, after: ms(200), Tag(3))
        let events = drain(&sim)
        #expect(events.map(\.payload.value) == [2, 3])
        #expect(sim.timersLostToCrash == 1)
        // The old handle still looked pending in the queue until it surfaced; now it is gone.
        #expect(!sim.isPending(h))
    }

    @Test func crashingTwiceOrRestartingARunningActorIsHarmless() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        sim.crash(a)
        sim.crash(a)
        #expect(sim.incarnation(of: a) == 1)
        sim.restart(a)
        sim.restart(a)
        #expect(sim.isUp(a))
        #expect(sim.incarnation(of: a) == 1)
    }

    @Test func messagesToADownActorAreDropped() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        let b = sim.addActor(named: "b")
        sim.deliver(from: a, to: b, after: ms(100), Tag(1))
        sim.schedule(at: at(ms: 50), for: b, Tag(-1))  // crash b at 50 ms
        var seen: [Int] = []
        while let e = sim.next() {
            if e.kind == .control, e.payload.value == -1 { sim.crash(e.actor); continue }
            seen.append(e.payload.value)
        }
        #expect(seen.isEmpty)
        #expect(sim.network.stats.deliveredToDownActor == 1)
        #expect(sim.network.stats.delivered == 0)
    }

    @Test func messagesSentBeforeACrashThatArriveAfterTheRestartAreDelivered() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        let b = sim.addActor(named: "b")
        sim.deliver(from: a, to: b, after: ms(100), Tag(1))
        sim.schedule(at: at(ms: 10), for: b, Tag(-1))  // crash b
        sim.schedule(at: at(ms: 50), for: b, Tag(-2))  // restart b
        var seen: [(Int, SimInstant, EventKind)] = []
        while let e = sim.next() {
            switch e.payload.value {
            case -1: sim.crash(e.actor)
            case -2: sim.restart(e.actor)
            default: seen.append((e.payload.value, e.time, e.kind))
            }
        }
        #expect(seen.count == 1)
        #expect(seen.first?.0 == 1)
        #expect(seen.first?.1 == at(ms: 100))
        #expect(seen.first?.2 == .message)
        #expect(sim.network.stats.delivered == 1)
    }

    @Test func controlEventsReachADownActor() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        sim.crash(a)
        sim.schedule(at: at(ms: 5), for: a, Tag(7))
        let e = drain(&sim)
        #expect(e.map(\.payload.value) == [7])
        #expect(e.first?.kind == .control)
    }

    /// A crash through `ProcessSlot`: volatile state and pending timers go, durable state stays.
    @Test func restartKeepsDurableStateOnly() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        var slot = ProcessSlot(CounterProcess(restoringFrom: 0))
        // The process ticks every 10 ms: each tick bumps both its scratch value and its
        // persisted counter. A control event crashes it at 55 ms and restarts it at 200 ms.
        sim.setTimer(for: a, after: ms(10), Tag(0))
        sim.schedule(at: at(ms: 55), for: a, Tag(-1))
        sim.schedule(at: at(ms: 200), for: a, Tag(-2))
        var ticksAfterRestart = 0
        var scratchAtCrash = -1
        while let e = sim.next(until: at(ms: 300)) {
            switch (e.kind, e.payload.value) {
            case (.control, -1):
                scratchAtCrash = slot.process?.scratch ?? -1
                slot.crash()
                sim.crash(a)
            case (.control, -2):
                sim.restart(a)
                slot.restart()
                // The new incarnation starts from durable state and re-arms its timer.
                #expect(slot.process?.scratch == 0)
                #expect(slot.process?.persisted == 5)
                sim.setTimer(for: a, after: ms(10), Tag(1))
            case (.timer, let incarnation):
                #expect(slot.isRunning, "a timer of a crashed incarnation must not fire")
                slot.process!.scratch += 1
                slot.process!.persisted += 1
                if incarnation == 1 { ticksAfterRestart += 1 }
                sim.setTimer(for: a, after: ms(10), Tag(incarnation))
            default:
                Issue.record("unexpected event \(e.kind) \(e.payload.value)")
            }
        }
        #expect(scratchAtCrash == 5)
        #expect(slot.process?.durable == 5 + ticksAfterRestart)
        #expect(ticksAfterRestart == 10)  // 210, 220, ..., 300 ms
        #expect(slot.process?.scratch == 10)
        #expect(sim.timersLostToCrash == 1)  // the tick due at 60 ms
    }

    @Test func processSlotCrashWithoutRunningProcessKeepsLastDurable() {
        var slot = ProcessSlot(CounterProcess(restoringFrom: 3))
        slot.process!.persisted = 9
        slot.crash()
        #expect(!slot.isRunning)
        #expect(slot.durable == 9)
        slot.crash()
        #expect(slot.durable == 9)
        slot.restart()
        #expect(slot.process?.persisted == 9)
        #expect(slot.process?.scratch == 0)
    }

    @Test func actorNamesAndIDsAreDense() {
        var sim = Simulation<Tag>(seed: 1)
        let ids = (0..<5).map { sim.addActor(named: "n\($0)") }
        #expect(ids.map(\.index) == [0, 1, 2, 3, 4])
        #expect(sim.actorCount == 5)
        #expect(sim.names == ["n0", "n1", "n2", "n3", "n4"])
    }
}
