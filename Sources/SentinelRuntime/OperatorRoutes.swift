import HTTPAPI
import Hummingbird
import JobSystem
import Metrics
import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `/status`, `/metrics` and `/ready`: what an operator, a load balancer and Prometheus read.
///
/// - `/ready`: 200 once the process can do its job, else 503 with what it waits for. A
///   scheduler is ready once LISTEN is up and a pass has completed (the System sentinel's
///   `isReady`); an API server once its assignment feed LISTENs (before that, pushed
///   assignments would not reach nodes).
/// - `/status`: the sentinel's state and counters, the gauges of its last fallback pass, the
///   maintenance jobs, the API's open channels, as JSON.
/// - `/metrics`: Prometheus text from swift-metrics (`sentinel_*` below, and Hummingbird's
///   `hb_*` request metrics) through swift-prometheus.
public struct OperatorRoutes: Sendable {
    let role: Role
    let profile: Profile
    let scheduler: SchedulerRunner?
    let api: APIServer?
    let registry: PrometheusCollectorRegistry
    let startedAt: Int64
    let exporter = MetricsExporter()

    public init(
        role: Role, profile: Profile, scheduler: SchedulerRunner?, api: APIServer?, registry: PrometheusCollectorRegistry,
        startedAt: Int64
    ) {
        self.role = role
        self.profile = profile
        self.scheduler = scheduler
        self.api = api
        self.registry = registry
        self.startedAt = startedAt
    }

    public func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/ready") { _, _ in readiness() }
        router.get("/status") { _, _ in status() }
        router.get("/metrics") { _, _ in metrics() }
    }

    var waitingFor: [String] {
        var waits: [String] = []
        if let scheduler {
            let s = scheduler.status.withLock { $0 }
            if !s.isListening { waits.append("scheduler LISTEN") }
            if !s.isReady { waits.append("a completed scheduling pass") }
        }
        if let api, !api.feed.isListening { waits.append("the assignment feed's LISTEN") }
        return waits
    }

    func readiness() -> Response {
        let waits = waitingFor
        let body: JSONValue = waits.isEmpty ? ["ready": true] : ["ready": false, "waitingFor": .array(waits.map(JSONValue.string))]
        return json(body, status: waits.isEmpty ? .ok : .serviceUnavailable)
    }

    func status() -> Response {
        var fields: [String: JSONValue] = [
            "service": "sentinel", "role": .string(role.rawValue), "profile": .string(profile.name),
            "ready": .bool(waitingFor.isEmpty),
            "uptimeSeconds": .number(Double((SchedulerRunner.monotonicMicros() - startedAt) / 1_000_000)),
        ]
        if let scheduler {
            let s = scheduler.status.withLock { $0 }
            let m = s.metrics
            var sched: [String: JSONValue] = [
                "listening": .bool(s.isListening), "ready": .bool(s.isReady), "mode": .string(s.mode),
                "passes": .number(Double(m.passes)), "chunksAssigned": .number(Double(m.chunksAssigned)),
                "assignmentsSkipped": .number(Double(m.assignmentsSkipped)),
                "chunksReclaimed": .number(Double(m.chunksReclaimed)),
                "notificationsReceived": .number(Double(m.notificationsReceived)),
                "storeErrors": .number(Double(m.storeErrors)), "abandonedCalls": .number(Double(m.abandonedCalls)),
                "lastPassAtMicros": m.lastPassAt.map { .number(Double($0.micros)) } ?? .null,
                "lastPassLatencyMicros": m.lastPassLatency.map { .number(Double($0.micros)) } ?? .null,
                "gauges": m.gauges.map {
                    ["pendingChunks": .number(Double($0.pendingChunks)), "runningChunks": .number(Double($0.runningChunks)),
                     "onlineNodes": .number(Double($0.onlineNodes))]
                } ?? .null,
                "lastError": s.lastError.map(JSONValue.string) ?? .null,
            ]
            var maintenance: [String: JSONValue] = ["errors": .number(Double(s.maintenanceErrors))]
            for job in MaintenanceJob.allCases {
                maintenance[job.rawValue] = [
                    "runs": .number(Double(s.maintenanceRuns[job.rawValue] ?? 0)),
                    "rows": .number(Double(s.maintenanceRows[job.rawValue] ?? 0)),
                ]
            }
            sched["maintenance"] = .object(maintenance)
            if scheduler.recordPath != nil {
                sched["recording"] = [
                    "inputs": .number(Double(s.recordedInputs)), "error": s.recordingError.map(JSONValue.string) ?? .null,
                ]
            }
            fields["scheduler"] = .object(sched)
        }
        if let api {
            fields["api"] = [
                "assignmentFeedListening": .bool(api.feed.isListening), "openChannels": .number(Double(api.feed.openChannels)),
                "poolSize": .number(Double(api.pool.size)), "transactionReruns": .number(Double(api.transactionReruns)),
            ]
        }
        return json(.object(fields), status: .ok)
    }

    func metrics() -> Response {
        exporter.sync(scheduler: scheduler?.status.withLock { $0 }, api: api, ready: waitingFor.isEmpty)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    func json(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.canonicalBytes)))
    }
}

/// The sentinel's numbers as swift-metrics counters and gauges, brought up to date at each
/// scrape (counters advance by what changed since the last one).
final class MetricsExporter: Sendable {
    private let last = Mutex(SentinelMetrics())
    let passes = Metrics.Counter(label: "sentinel_passes_total")
    let assigned = Metrics.Counter(label: "sentinel_chunks_assigned_total")
    let skipped = Metrics.Counter(label: "sentinel_assignments_skipped_total")
    let reclaimed = Metrics.Counter(label: "sentinel_chunks_reclaimed_total")
    let notifications = Metrics.Counter(label: "sentinel_notifications_total")
    let storeErrors = Metrics.Counter(label: "sentinel_store_errors_total")
    let abandoned = Metrics.Counter(label: "sentinel_abandoned_calls_total")
    let pending = Metrics.Gauge(label: "sentinel_pending_chunks")
    let running = Metrics.Gauge(label: "sentinel_running_chunks")
    let online = Metrics.Gauge(label: "sentinel_online_nodes")
    let latency = Metrics.Gauge(label: "sentinel_last_pass_latency_seconds")
    let listening = Metrics.Gauge(label: "sentinel_listening")
    let ready = Metrics.Gauge(label: "sentinel_ready")
    let channels = Metrics.Gauge(label: "sentinel_api_open_channels")

    func sync(scheduler: SchedulerRunner.Status?, api: APIServer?, ready isReady: Bool) {
        ready.record(isReady ? 1 : 0)
        if let api { channels.record(api.feed.openChannels) }
        guard let s = scheduler else { return }
        let m = s.metrics
        last.withLock { before in
            func advance(_ counter: Metrics.Counter, _ now: Int, _ was: Int) { if now > was { counter.increment(by: now - was) } }
            advance(passes, m.passes, before.passes)
            advance(assigned, m.chunksAssigned, before.chunksAssigned)
            advance(skipped, m.assignmentsSkipped, before.assignmentsSkipped)
            advance(reclaimed, m.chunksReclaimed, before.chunksReclaimed)
            advance(notifications, m.notificationsReceived, before.notificationsReceived)
            advance(storeErrors, m.storeErrors, before.storeErrors)
            advance(abandoned, m.abandonedCalls, before.abandonedCalls)
            before = m
        }
        if let g = m.gauges {
            pending.record(g.pendingChunks)
            running.record(g.runningChunks)
            online.record(g.onlineNodes)
        }
        if let l = m.lastPassLatency { latency.record(Double(l.micros) / 1_000_000) }
        listening.record(s.isListening ? 1 : 0)
    }
}
