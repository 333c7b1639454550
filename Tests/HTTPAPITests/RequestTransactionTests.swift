import JobSystem
import PostgresStore
import Testing

extension PostgreSQLBackedTests {
    /// `PGConnection.requestTransaction`: one request, one transaction; store operations nest in it
    /// as savepoints; a conflict anywhere makes the whole request rerun.
    @Suite struct RequestTransactionTests {
        @Test func aFailedOperationRollsBackToItsSavepointAndTheRestCommits() throws {
            let url = try TestDatabase.fresh()
            var store = try PostgresStore(conninfo: url)
            let user = UserID(uuidString: "00000000-0000-4000-8000-000000000001")!
            let outcome: String = try store.connection.requestTransaction(.serializable) { _ in
                do { try store.upsertUser(UserRow(id: user, discordID: "42")) } catch { return ("upsert failed: \(error)", false) }
                // A nested operation that fails (no such config): its own savepoint rolls back.
                let job = NewJob(
                    userID: user, configHash: ConfigHash.of(sampleConfig, hasher: SodiumSHA256()), totalIterations: 10,
                    chunkIterations: 10, accessType: .private, discordServerID: nil)
                do {
                    _ = try store.createJob(job, upserting: nil)
                    return ("created a job without its config", false)
                } catch {
                    return ("\(error)", true)
                }
            }
            #expect(outcome.contains("config"))
            #expect(try PostgresStore(conninfo: url).user(user)?.discordID == "42")
            #expect(try PGConnection(url).execute("SELECT count(*) FROM jobs").first?.int(0) == 0)
        }

        @Test func anOperationAskingMoreIsolationThanItsRequestFailsInsteadOfRunningWeaker() throws {
            let url = try TestDatabase.fresh()
            let store = try PostgresStore(conninfo: url)
            let answer: String = try store.connection.requestTransaction(.readCommitted) { _ in
                do {
                    _ = try store.assignmentSnapshot(limit: 1, onlineWindow: .seconds(30))  // REPEATABLE READ
                    return ("ran", true)
                } catch {
                    return ("\(error)", true)
                }
            }
            #expect(answer.contains("XX000"))
            // At least as strong: it runs.
            let fine: Int = try store.connection.requestTransaction(.serializable) { _ in
                ((try? store.assignmentSnapshot(limit: 1, onlineWindow: .seconds(30)).chunks.count) ?? -1, true)
            }
            #expect(fine == 0)
        }

        @Test func notCommittingRollsEverythingBack() throws {
            let url = try TestDatabase.fresh()
            var store = try PostgresStore(conninfo: url)
            let user = UserID(uuidString: "00000000-0000-4000-8000-000000000002")!
            _ = try store.connection.requestTransaction(.serializable) { _ in
                ((try? store.upsertUser(UserRow(id: user, discordID: nil))) != nil, false)
            }
            #expect(try PostgresStore(conninfo: url).user(user) == nil)
        }

        @Test func aSerializationFailureFailsTheWholeRequestEvenIfCaught() throws {
            let url = try TestDatabase.fresh()
            let user = UserID(uuidString: "00000000-0000-4000-8000-000000000003")!
            var setup = try PostgresStore(conninfo: url)
            try setup.upsertUser(UserRow(id: user, discordID: "before"))
            let other = try PGConnection(url)
            var store = try PostgresStore(conninfo: url)
            #expect(throws: StoreError.self) {
                try store.connection.requestTransaction(.serializable) { _ in
                    // The request reads the row (its snapshot starts here)…
                    _ = try? store.user(user)
                    // …another client changes it and commits…
                    _ = try? other.execute("UPDATE users SET discord_id = 'other' WHERE id = $1", [user.uuidString])
                    // …and the request's write conflicts; the handler swallows the error.
                    let wrote = (try? store.upsertUser(UserRow(id: user, discordID: "request"))) != nil
                    return (wrote, true)
                }
            }
            #expect(try PostgresStore(conninfo: url).user(user)?.discordID == "other")
            // The session is usable again.
            #expect(try store.user(user)?.discordID == "other")
        }

        @Test func aFailedStatementTheBodyIgnoresIsNotCommitted() throws {
            let url = try TestDatabase.fresh()
            var store = try PostgresStore(conninfo: url)
            let user = UserID(uuidString: "00000000-0000-4000-8000-000000000004")!
            do {
                try store.connection.requestTransaction(.serializable) { db in
                    _ = try? store.upsertUser(UserRow(id: user, discordID: nil))
                    _ = try? db.execute("SELECT no_such_column FROM users")
                    return ((), true)
                }
                Issue.record("committed a transaction with a failed statement")
            } catch {
                guard case .database(let state, _) = error else { Issue.record("unexpected \(error)"); return }
                #expect(state == "25P02")
            }
            #expect(try PostgresStore(conninfo: url).user(user) == nil)
        }
    }
}
