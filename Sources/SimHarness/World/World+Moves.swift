import Engine
import JobSystem

/// Taking a value's part by moving it out of a value the caller owns (`consuming`), where the
/// API server and the store pass a request or a response on: reading the part of a borrowed value
/// (`e.payload`, `outcome.response`) copied it, a retain and later a release of every reference
/// it holds (an `APIRequest` holds up to seven), and the event or outcome still had to be
/// destroyed after.
extension WorldDelivery {
    /// The payload, moved out of the event.
    @inline(__always) consuming func takePayload() -> WorldEvent { payload }
}

extension HandlerOutcome {
    /// The response, moved out of the outcome.
    @inline(__always) consuming func takeResponse() -> APIResponse { response }
}
