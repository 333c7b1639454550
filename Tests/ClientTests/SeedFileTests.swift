import Foundation
import Testing

@testable import ClientRuntime
@testable import JobSystem

@Suite struct SeedFileTests {
    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "seed-tests-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func createdOnceWithMode0600AndReadBackEqual() throws {
        let path = try folder() + "/seed.json"
        let (first, created) = try SeedFile(path: path).loadOrCreate()
        #expect(created)
        #expect(first.keySeed.count == 32)
        #expect(try mode(path) == 0o600)
        let (again, createdAgain) = try SeedFile(path: path).loadOrCreate()
        #expect(!createdAgain)
        #expect(again == first)
        // Two identities are two different seeds.
        let other = try SeedFile(path: try folder() + "/seed.json").loadOrCreate().durable
        #expect(other.keySeed != first.keySeed)
    }

    @Test func savesAtomicallyWhatTheAgentPersists() throws {
        let path = try folder() + "/seed.json"
        var durable = try SeedFile(path: path).loadOrCreate().durable
        durable.nodeID = NodeID(Identifier(high: 0x1234, low: 0x5678))
        durable.claimCode = "7K3QZP"
        durable.incarnation = 9
        try SeedFile(path: path).save(durable)
        #expect(try SeedFile(path: path).load() == durable)
        #expect(try mode(path) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test(arguments: [
        "", "{", "[]", #"{"format":2}"#, #"{"format":1,"keySeed":"abc","incarnation":0}"#,
        #"{"format":1,"keySeed":"\#(String(repeating: "ab", count: 32))","incarnation":-1}"#,
        #"{"format":1,"keySeed":"\#(String(repeating: "ab", count: 32))","incarnation":0,"nodeId":"x"}"#,
        #"{"format":1,"keySeed":"\#(String(repeating: "ab", count: 32))","incarnation":1.5}"#,
        String(repeating: " ", count: 5_000),
    ])
    func aCorruptFileIsAnErrorAndIsKept(_ content: String) throws {
        let path = try folder() + "/seed.json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(content.utf8), attributes: [.posixPermissions: 0o600]))
        #expect {
            _ = try SeedFile(path: path).loadOrCreate()
        } throws: { error in
            guard case .corrupt = error as? SeedFileError else { return false }
            return true
        }
        // Left as it was: it may be the only copy of a node's key.
        #expect(FileManager.default.contents(atPath: path) == Data(content.utf8))
    }

    @Test func aFileOthersMayReadIsRefused() throws {
        let path = try folder() + "/seed.json"
        _ = try SeedFile(path: path).loadOrCreate()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: SeedFileError.tooOpen(path: path, mode: "644")) { try SeedFile(path: path).load() }
    }

    @Test func aFolderIsNotASeedFile() throws {
        let path = try folder()
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        #expect(throws: SeedFileError.self) { try SeedFile(path: path).load() }
    }
}

@Suite struct ResultTextTests {
    @Test func fixedDecimals() {
        #expect(ResultText.fixed(1234.5678, decimals: 2) == "1234.57")
        #expect(ResultText.fixed(0.25, decimals: 1) == "0.3")
        #expect(ResultText.fixed(-2.5, decimals: 0) == "-3")
        #expect(ResultText.fixed(7, decimals: 3) == "7.000")
        #expect(ResultText.fixed(-0.0001, decimals: 2) == "0.00")
    }

    @Test func progressBar() {
        #expect(ResultText.progressBar(completed: 500, total: 1_000, status: "running", width: 10) == "[#####.....]  50.0%  500/1000 iterations  running")
        #expect(ResultText.progressBar(completed: 0, total: 0, status: "pending", width: 4) == "[....]   0.0%  0/0 iterations  pending")
    }
}
