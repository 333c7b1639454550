// swift-tools-version: 6.1
import PackageDescription

/// Layout (fixed by the design card):
/// - `Engine`: the deterministic simulation kernel (virtual time, event queue, seeded randomness,
///   simulated network and faults). Knows nothing about the job system.
/// - `JobSystem` (folder `Sources/System`): the reference implementation of the job system, written only against injected
///   protocols (clock, network, store, signer, randomness). Runs unchanged in both worlds.
/// - `SimHarness`: fleets, fault injection, invariants, traces, shrinking, sweeps.
/// - `Scenarios`: the named fault scenarios and their expected outcomes.
/// - `CSodium`: system-library shim for libsodium (SHA-256, Ed25519) used in both worlds.
/// - `CSHA256`: SHA-256 on the x86-64 SHA extensions, used by `SodiumSHA256` when the CPU has
///   them (runtime CPUID check; libsodium otherwise, and on other architectures).
/// - `CBase64`: strict base64 of a signed request's key and signature on SSSE3 (checked once at
///   load; `Base64`'s own loops otherwise, and on other architectures).
/// - `CPrefetch`: one inline C function, a cache prefetch hint (the Engine's event queue, the
///   stand-in signature registry, the World's node hosts).
/// - `CTraceFold`: FNV-1a of the run digest's byte strings on AVX-512, when the CPU has it
///   (runtime CPUID check; `TraceDigest`'s byte loop otherwise, and on other architectures).
/// - `CStandIn`: the stand-in compute's tally on AVX-512, when the CPU has it (runtime CPUID check;
///   the same integers as the Swift loop, which runs otherwise).
/// - `CLibPQ`, `PostgresStore`: libpq and the PostgreSQL `JobStore` (production only: the
///   simulation path, `simharness`, never links libpq). `pgstore` migrates and benchmarks it;
///   `StoreContractTests` runs the contract suite on both stores.
/// - `HTTPAPI`: the `JobSystem` request handlers and the node assignment channel on Hummingbird 2,
///   over `PostgresStore` (one serializable transaction per request). `sentinel` (target
///   `SentinelServer`) is the production process: the `Sentinel` state machine driven by real time and
///   LISTEN, the HTTP API, /status /metrics /ready (library `SentinelRuntime`, tested by
///   `HTTPAPITests`). Production only, like `PostgresStore`.
/// How `simharness` is linked on Linux (its memory floor; README "part E: the process floor"):
/// - `-static-stdlib` (with FoundationEssentials' two helper archives, which its autolink entries
///   do not name): the Swift runtime, standard library and FoundationEssentials are linked into
///   the executable, so only the code it uses is loaded, without the shared libraries'
///   relocations and private data pages (about 3 MB of resident memory in every run).
/// - lld, `--no-export-dynamic` (the static standard library's link arguments export every
///   symbol, which made a 1 MB dynamic symbol table that the loader reads), and packed relative
///   relocations (`-z pack-relative-relocs`: 8 KB where the position-independent executable had
///   1 MB of `.rela.dyn`, all read at start; needs glibc 2.36).
/// - `scripts/simharness.order`: the functions the common commands run, placed together at the
///   front of the code (`scripts/order-symbols` regenerates it; remove the built binary after,
///   since SwiftPM does not relink for it). Code becomes resident in large blocks around each
///   page first run; in archive order the few hundred kilobytes of runtime and library code a
///   run uses were spread over megabytes. A stale list costs memory, never behaviour.
/// Only the `simharness` product: the production processes, the fuzz replayer and the tests
/// link as before.
let packageRoot = String(#filePath.dropLast("/Package.swift".count))
let simharnessLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections",
            "-use-ld=lld",
            "-Xlinker", "--no-export-dynamic",
            "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            "-Xlinker", "--symbol-ordering-file=\(packageRoot)/scripts/simharness.order",
            "-Xlinker", "--no-warn-symbol-ordering",
        ],
        .when(platforms: [.linux])
    )
]

let package = Package(
    name: "SimHarness",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "simharness", targets: ["SimHarnessCLI"]),
        // libFuzzer targets (scripts/fuzz builds them with -sanitize=fuzzer,address -DFUZZING);
        // an ordinary build makes a replayer of inputs.
        .executable(name: "simharness-fuzz", targets: ["SimHarnessFuzz"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "JobSystem", targets: ["JobSystem"]),
        .library(name: "PostgresStore", targets: ["PostgresStore"]),
        .executable(name: "pgstore", targets: ["PostgresStoreCLI"]),
        .library(name: "HTTPAPI", targets: ["HTTPAPI"]),
        .executable(name: "sentinel", targets: ["SentinelServer"]),
        // The production clients: a headless compute node and the portal's command line.
        .executable(name: "node", targets: ["NodeCLI"]),
        .executable(name: "portal", targets: ["PortalCLI"]),
        // Load for the issue-10 benchmarks (scripts/bench-api).
        .executable(name: "apibench", targets: ["APIBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // The production processes (sentinel, node, portal): never linked by `simharness`.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        /// Plain C, no dependency; compiles to a "no hardware path" stub off x86-64. DWARF 4 for
        /// Debian's valgrind 3.19 (see `CAllocCounter`).
        .target(name: "CSHA256", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        /// Base64 of the request key and signature on SSSE3 (a stub elsewhere). DWARF 4 for
        /// Debian's valgrind 3.19 (see `CAllocCounter`).
        .target(name: "CBase64", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        /// One inline C function: a cache prefetch hint (the Engine's event queue, the stand-in
        /// signature registry, the World's node hosts).
        .target(name: "CPrefetch"),
        /// The stand-in compute's tally on AVX-512 (runtime CPUID check; the Swift loop otherwise,
        /// and on other architectures). DWARF 4 for Debian's valgrind 3.19 (see `CAllocCounter`).
        .target(name: "CStandIn", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        /// FNV-1a of the run digest's byte strings on AVX-512 (runtime CPUID check; the Swift
        /// loop otherwise, and on other architectures). DWARF 4 for Debian's valgrind 3.19 (see
        /// `CAllocCounter`).
        .target(name: "CTraceFold", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "PostgresStore",
            dependencies: ["JobSystem", "CLibPQ"],
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "PostgresStoreCLI",
            dependencies: [
                "JobSystem", "PostgresStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Clients: `ClientRuntime` drives the System's `NodeAgent` and `PortalUser` on the real
        // clock, threads and files behind a transport protocol (no networking library, so its
        // tests build fast); `ClientHTTP` is that transport over HTTP (async-http-client) and the
        // node's assignment channel (WebSocket, hummingbird-websocket's client).
        .target(
            name: "ClientRuntime",
            dependencies: ["JobSystem", "CSodium", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "ClientHTTP",
            dependencies: [
                "JobSystem", "ClientRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "NodeCLI",
            dependencies: [
                "JobSystem", "ClientRuntime", "ClientHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "APIBench",
            dependencies: [
                "JobSystem", "ClientRuntime", "ClientHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "PortalCLI",
            dependencies: [
                "JobSystem", "ClientRuntime", "ClientHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "JobSystem", "PostgresStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SentinelRuntime",
            dependencies: [
                "JobSystem", "PostgresStore", "HTTPAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "SentinelServer",
            dependencies: [
                "JobSystem", "PostgresStore", "HTTPAPI", "SentinelRuntime",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Engine",
            dependencies: ["CPrefetch", "CTraceFold", .product(name: "Collections", package: "swift-collections")]
        ),
        .target(
            name: "JobSystem",
            dependencies: ["CSodium", "CSHA256", "CBase64", "CPrefetch", .product(name: "Collections", package: "swift-collections")],
            path: "Sources/System"
        ),
        .target(
            name: "SimHarness",
            dependencies: ["Engine", "JobSystem", "CPrefetch", "CStandIn", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(
            name: "Scenarios",
            dependencies: ["SimHarness", "Engine", "JobSystem"]
        ),
        .executableTarget(
            name: "SimHarnessCLI",
            dependencies: [
                "Engine", "JobSystem", "SimHarness", "Scenarios", "CAllocCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: simharnessLinkerSettings
        ),
        /// Counts malloc calls for `bench fleet` (interposes malloc in simharness only). DWARF 4:
        /// clang's default DWARF 5 makes Debian's valgrind 3.19 refuse the whole binary.
        .target(name: "CAllocCounter", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        .executableTarget(
            name: "SimHarnessFuzz",
            dependencies: ["JobSystem", "Scenarios"]
        ),
        .testTarget(
            name: "EngineTests",
            dependencies: ["Engine", "CTraceFold"]
        ),
        .testTarget(
            name: "SimHarnessTests",
            dependencies: ["Engine", "JobSystem", "SimHarness", "Scenarios"]
        ),
        .testTarget(
            name: "StoreContractTests",
            dependencies: ["JobSystem", "PostgresStore"]
        ),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "JobSystem", "PostgresStore", "HTTPAPI", "SentinelRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        .testTarget(
            name: "ClientTests",
            dependencies: ["JobSystem", "ClientRuntime", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "SystemTests",
            dependencies: [
                "JobSystem",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
