/// The handlers' entry points for the embedded store, compiled in this module.
///
/// Why: the handlers are generic over `JobStore`, and a generic function of this module called
/// from another (the simulation's World) ran unspecialised there: every store call went through
/// the protocol's witness table, every value of a generic type through its value witnesses, and
/// nothing of the store could be inlined into a handler (a heartbeat's `node(publicKey:)`,
/// `rememberSignature` and `heartbeat` were each an opaque call). These overloads, being
/// concrete, are what overload resolution picks wherever the store is an `EmbeddedStore`, and
/// make the compiler specialise the whole handler tree for it here, where it sees both. The
/// code that runs is the generic code, unchanged (each overload forwards to it through a
/// generic `forward…` function, in whose body the call can only resolve to the generic
/// entry point); production's `PostgresStore` keeps calling the generic entry points.
extension RequestHandlers {
    public func begin(
        _ request: APIRequest, store: inout EmbeddedStore, limiter: inout RateLimiter, now: Timestamp
    ) -> HandlerProgress {
        forwardBegin(request, store: &store, limiter: &limiter, now: now)
    }

    public func begin(
        _ request: APIRequest, store: inout EmbeddedStore, limiter: inout RateLimiter, buffers: inout ResponseBuffers,
        now: Timestamp
    ) -> HandlerProgress {
        forwardBegin(request, store: &store, limiter: &limiter, buffers: &buffers, now: now)
    }

    public func handle(
        _ request: APIRequest, store: inout EmbeddedStore, limiter: inout RateLimiter, now: Timestamp
    ) -> HandlerOutcome {
        forwardHandle(request, store: &store, limiter: &limiter, now: now)
    }

    public func handle(_ request: APIRequest, store: inout EmbeddedStore, now: Timestamp) -> HandlerOutcome {
        var limiter = RateLimiter(capacity: 1)
        return forwardHandle(request, store: &store, limiter: &limiter, now: now)
    }

    public func resume(_ pending: PendingStatement, store: inout EmbeddedStore, now: Timestamp) -> HandlerOutcome {
        forwardResume(pending, store: &store, now: now)
    }

    public func openAssignmentChannel(_ request: APIRequest, store: inout EmbeddedStore, now: Timestamp) -> ChannelOpening {
        forwardOpen(request, store: &store, now: now)
    }

    private func forwardBegin<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, now: Timestamp
    ) -> HandlerProgress {
        begin(request, store: &store, limiter: &limiter, now: now)
    }

    private func forwardBegin<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, buffers: inout ResponseBuffers, now: Timestamp
    ) -> HandlerProgress {
        begin(request, store: &store, limiter: &limiter, buffers: &buffers, now: now)
    }

    private func forwardHandle<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, now: Timestamp
    ) -> HandlerOutcome {
        handle(request, store: &store, limiter: &limiter, now: now)
    }

    private func forwardResume<S: JobStore>(_ pending: PendingStatement, store: inout S, now: Timestamp) -> HandlerOutcome {
        resume(pending, store: &store, now: now)
    }

    private func forwardOpen<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) -> ChannelOpening {
        openAssignmentChannel(request, store: &store, now: now)
    }
}
