import Testing
import Engine

/// Partitions, heal, and the link model's rates.
@Suite struct NetworkTests {
    /// Three actors: a0, a1 in group A; b0 in group B. Constant 10 ms links.
    func world() -> (Simulation<Tag>, [ActorID], GroupID, GroupID) {
        var sim = Simulation<Tag>(seed: 3)
        sim.network.defaultLink = LinkModel(latency: .constant(ms(10)))
        let ids = ["a0", "a1", "b0"].map { sim.addActor(named: $0) }
        let ga = sim.network.defineGroup([ids[0], ids[1]])
        let gb = sim.network.defineGroup([ids[2]])
        return (sim, ids, ga, gb)
    }

    @Test func twoWayPartitionCutsBothDirectionsUntilHealed() {
        var (sim, ids, ga, gb) = world()
        let (a0, a1, b0) = (ids[0], ids[1], ids[2])
        let p = sim.network.partition(ga, gb)
        #expect(sim.network.activePartitions == 1)
        #expect(sim.send(from: a0, to: b0, Tag(1)) == 0)
        #expect(sim.send(from: b0, to: a1, Tag(2)) == 0)
        #expect(sim.send(from: a0, to: a1, Tag(3)) == 1, "inside a group nothing is cut")
        #expect(sim.network.isCut(from: a1, to: b0))
        #expect(sim.network.isCut(from: b0, to: a0))
        #expect(sim.network.stats.partitioned == 2)
        sim.network.heal(p)
        #expect(sim.network.activePartitions == 0)
        #expect(sim.send(from: a0, to: b0, Tag(4)) == 1)
        #expect(sim.send(from: b0, to: a0, Tag(5)) == 1)
        let got = drain(&sim)
        #expect(got.map(\.payload.value) == [3, 4, 5])
        #expect(got.map(\.kind) == [.message, .message, .message])
        #expect(got.map(\.from) == [a0, a0, b0])
    }

    @Test func oneWayPartitionCutsOneDirection() {
        var (sim, ids, ga, gb) = world()
        let (a0, b0) = (ids[0], ids[2])
        sim.network.partition(ga, gb, oneWay: true)
        #expect(sim.send(from: a0, to: b0, Tag(1)) == 0)
        #expect(sim.send(from: b0, to: a0, Tag(2)) == 1)
        #expect(sim.network.isCut(from: a0, to: b0))
        #expect(!sim.network.isCut(from: b0, to: a0))
        #expect(drain(&sim).map(\.payload.value) == [2])
        sim.network.healAll()
        #expect(sim.send(from: a0, to: b0, Tag(3)) == 1)
        #expect(drain(&sim).map(\.payload.value) == [3])
    }

    @Test func healingOnePartitionLeavesTheOthers() {
        var (sim, ids, ga, gb) = world()
        let gc = sim.network.defineGroup([ids[1]])  // a1 is in A and in C
        let p1 = sim.network.partition(ga, gb)
        sim.network.partition(gc, gb)
        #expect(sim.network.activePartitions == 2)
        sim.network.heal(p1)
        #expect(!sim.network.isCut(from: ids[0], to: ids[2]))
        #expect(sim.network.isCut(from: ids[1], to: ids[2]), "a1 is still cut through group C")
        #expect(sim.network.isCut(from: ids[2], to: ids[1]))
    }

    @Test func messagesInFlightWhenThePartitionStartsStillArrive() {
        var (sim, ids, ga, gb) = world()
        let (a0, b0) = (ids[0], ids[2])
        #expect(sim.send(from: a0, to: b0, Tag(1)) == 1)  // due at 10 ms
        sim.advance(to: at(ms: 5))
        sim.network.partition(ga, gb)
        #expect(sim.send(from: a0, to: b0, Tag(2)) == 0)
        let got = drain(&sim)
        #expect(got.map(\.payload.value) == [1])
        #expect(got.first?.time == at(ms: 10))
    }

    @Test func perLinkOverrides() {
        var (sim, ids, _, _) = world()
        let (a0, a1, b0) = (ids[0], ids[1], ids[2])
        sim.network.setLink(from: a0, to: b0, LinkModel(latency: .constant(ms(70))))
        sim.send(from: a0, to: b0, Tag(1))
        sim.send(from: b0, to: a0, Tag(2))
        sim.send(from: a0, to: a1, Tag(3))
        let got = drain(&sim)
        #expect(got.map(\.payload.value) == [2, 3, 1])
        #expect(got.map(\.time) == [at(ms: 10), at(ms: 10), at(ms: 70)])
        sim.network.clearLink(from: a0, to: b0)
        sim.send(from: a0, to: b0, Tag(4))
        #expect(drain(&sim).map(\.time) == [at(ms: 80)])
    }

    /// 100,000 messages over a lossy, duplicating, reordering link: the counts of each fate lie
    /// within 4 sigma of their binomial means, and what arrives matches the counts.
    @Test(arguments: [UInt64(1), 99])
    func lossDuplicationAndReorderRatesWithinBounds(seed: UInt64) {
        var sim = Simulation<Tag>(seed: seed)
        let loss = 0.05, dup = 0.03, reorder = 0.02
        sim.network.defaultLink = LinkModel(
            latency: .constant(ms(10)), loss: loss, duplication: dup, reorder: reorder,
            reorderDelay: .uniform(ms(100), ms(1_000)))
        let a = sim.addActor(named: "sender")
        let b = sim.addActor(named: "receiver")
        let n = 100_000
        var copies = 0
        for i in 0..<n { copies += sim.send(from: a, to: b, Tag(i)) }
        let s = sim.network.stats
        #expect(s.sent == n)
        #expect(withinBinomial(s.lost, n: n, p: loss), "lost \(s.lost) of \(n)")
        let kept = n - s.lost
        #expect(withinBinomial(s.duplicated, n: kept, p: dup), "duplicated \(s.duplicated) of \(kept)")
        #expect(withinBinomial(s.reordered, n: kept, p: reorder), "reordered \(s.reordered) of \(kept)")
        #expect(copies == kept + s.duplicated)
        // Everything sent at t=0: in-order copies arrive at exactly 10 ms, in sending order;
        // held-back ones later.
        let got = drain(&sim)
        #expect(got.count == copies)
        #expect(sim.network.stats.delivered == copies)
        let onTime = got.filter { $0.time == at(ms: 10) }
        let late = got.filter { $0.time > at(ms: 10) }
        #expect(late.count == s.reordered)
        #expect(onTime.count == kept + s.duplicated - s.reordered)
        let firstCopies = onTime.map(\.payload.value)
        #expect(zip(firstCopies, firstCopies.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(late.allSatisfy { $0.time >= at(ms: 110) && $0.time <= at(ms: 1_010) })
        // Overtaken: every late message was sent before some on-time one.
        #expect(late.contains { m in firstCopies.last.map { m.payload.value < $0 } ?? false })
    }

    @Test func uniformLatencyMeanAndRange() {
        var sim = Simulation<Tag>(seed: 5)
        sim.network.defaultLink = LinkModel(latency: .uniform(ms(10), ms(100)))
        let a = sim.addActor(named: "a")
        let b = sim.addActor(named: "b")
        let n = 100_000
        for i in 0..<n { sim.send(from: a, to: b, Tag(i)) }
        let latencies = drain(&sim).map { Double($0.time.nanoseconds) / 1e6 }  // ms, sent at 0
        #expect(latencies.count == n)
        #expect(latencies.min()! >= 10 && latencies.max()! <= 100)
        let (mean, variance) = meanAndVariance(latencies)
        let sd = 90 / 12.0.squareRoot()
        #expect(meanWithin(mean, expected: 55, sd: sd, n: n), "mean latency \(mean) ms")
        #expect(abs(variance - sd * sd) / (sd * sd) < 0.03, "variance \(variance)")
    }

    @Test func exponentialLatencyMean() {
        var sim = Simulation<Tag>(seed: 6)
        sim.network.defaultLink = LinkModel(latency: .exponential(mean: ms(40)))
        let a = sim.addActor(named: "a")
        let b = sim.addActor(named: "b")
        let n = 100_000
        for i in 0..<n { sim.send(from: a, to: b, Tag(i)) }
        let latencies = drain(&sim).map { Double($0.time.nanoseconds) / 1e6 }
        let (mean, _) = meanAndVariance(latencies)
        #expect(meanWithin(mean, expected: 40, sd: 40, n: n), "mean latency \(mean) ms")
    }
}
