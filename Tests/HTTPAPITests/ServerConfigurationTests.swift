import ArgumentParser
import JobSystem
import SentinelRuntime
import Testing

/// `sentinel serve`'s configuration: flags over environment over the thresholds file over the
/// profile; every bad value is an error that names its flag or variable.
struct ServerConfigurationTests {
    func configuration(_ arguments: [String], _ env: [String: String], file: String = "") throws -> ServerConfiguration {
        let options = try ServeOptions.parse(arguments)
        return try ServerConfiguration(options, environment: env) { _ in Array(file.utf8) }
    }

    func failure(_ arguments: [String], _ env: [String: String], file: String = "") -> String {
        do {
            _ = try configuration(arguments, env, file: file)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultsAreTheFixedProfileOnPort8080ForAllRoles() throws {
        let c = try configuration([], ["DATABASE_URL": "postgresql://db/x"])
        #expect(c.databaseURL == "postgresql://db/x")
        #expect(c.port == 8080)
        #expect(c.role == .all)
        #expect(Thresholds(profile: c.profile) == .fixed)
        #expect(c.profile.defects == Profile.fixed.defects && c.profile.improvements == Profile.fixed.improvements)
        #expect(c.poolSize == 4)
        #expect(c.recordPath == nil)
        #expect(c.requestIsolation == .serializable)
    }

    @Test func flagsOverrideTheEnvironmentWhichOverridesTheFile() throws {
        let env = [
            "DATABASE_URL": "postgresql://env/x", "PORT": "9000", "SENTINEL_ROLE": "api",
            "SENTINEL_ONLINE_WINDOW": "40s", "CHUNK_CLAIM_TIMEOUT": "4m", "SENTINEL_THRESHOLDS_FILE": "/etc/thresholds",
        ]
        let file = "SENTINEL_ONLINE_WINDOW=30s\nSENTINEL_DEBOUNCE=100ms\nNODE_HEARTBEAT_INTERVAL=10s\n"
        let c = try configuration(
            ["--database-url", "postgresql://flag/x", "--port", "9001", "--role", "scheduler", "--claim-timeout", "6m", "--batch", "250"],
            env, file: file)
        #expect(c.databaseURL == "postgresql://flag/x")
        #expect(c.port == 9001)
        #expect(c.role == .scheduler)
        #expect(c.profile.claimTimeout == .minutes(6))  // flag over env
        #expect(c.profile.onlineWindow == .seconds(40))  // env over file
        #expect(c.profile.debounce == .milliseconds(100))  // file
        #expect(c.profile.heartbeatInterval == .seconds(10))
        #expect(c.profile.assignmentBatch == 250)
        // Named by its spec, so a recording's header rebuilds this very profile.
        #expect(try Profile(spec: c.profile.name) == c.profile)
    }

    @Test func todaysProfileAndItsThresholdsAreReachable() throws {
        let c = try configuration(["--profile", "legacy"], ["DATABASE_URL": "x"])
        #expect(c.profile.has(.competingReclaim))
        #expect(Thresholds(profile: c.profile) == .today)
    }

    @Test func badValuesAreErrorsNamingTheirSource() {
        #expect(failure([], [:]).contains("DATABASE_URL"))
        #expect(failure([], ["DATABASE_URL": "x", "PORT": "http"]).contains("PORT=http"))
        #expect(failure(["--port", "70000"], ["DATABASE_URL": "x"]).contains("--port=70000"))
        #expect(failure(["--role", "both"], ["DATABASE_URL": "x"]).contains("--role=both"))
        #expect(failure(["--profile", "fixed:heartbeat=1s"], ["DATABASE_URL": "x"]).contains("--profile"))
        #expect(failure(["--profile", "nope"], ["DATABASE_URL": "x"]).contains("no such profile"))
        #expect(failure([], ["DATABASE_URL": "x", "SENTINEL_DEBOUNCE": "fast"]).contains("SENTINEL_DEBOUNCE"))
        #expect(failure(["--online-window=-3s"], ["DATABASE_URL": "x"]).contains("--online-window"))
        #expect(failure(["--pool-size", "0"], ["DATABASE_URL": "x"]).contains("--pool-size=0"))
        #expect(failure(["--request-isolation", "read-committed"], ["DATABASE_URL": "x"]).contains("--request-isolation=read-committed"))
        #expect(failure(["--role", "api", "--record", "r.jsonl"], ["DATABASE_URL": "x"]).contains("--record"))
        #expect(failure(["--log-level", "loud"], ["DATABASE_URL": "x"]).contains("--log-level=loud"))
        #expect(failure(["--thresholds", "t"], ["DATABASE_URL": "x"], file: "SENTINEL_BOGUS=1\n").contains("line 1"))
    }
}
