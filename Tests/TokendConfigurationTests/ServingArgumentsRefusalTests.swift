import Foundation
import Testing

@testable import TokendConfiguration

/// A configuration tokend cannot use stops it before it serves, with a message naming the
/// file and key, or the variable, at fault.
@Suite struct ServingArgumentsRefusalTests {
    func configFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokend-config-\(UUID()).json").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The message of the error resolving these arguments throws, or nil when none is thrown.
    func refusal(_ arguments: [String], _ environment: [String: String] = [:]) async -> String? {
        do {
            _ = try await ServingArguments.resolve(arguments, environment: environment)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func expect(_ message: String?, toSay part: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(message?.contains(part) == true, "\(message ?? "no refusal") does not say \(part)", sourceLocation: sourceLocation)
    }

    @Test func anUnknownKeyIsRefusedByName() async throws {
        let file = try configFile(#"{"port": 9090, "prot": 9091}"#)
        let message = await refusal(["serve", "--config", file])
        expect(message, toSay: "config file \(file): unknown key \"prot\"")
        expect(message, toSay: "port, portal-org-name")  // the keys it could have meant
    }

    @Test(arguments: [#"{"config": "other.json"}"#, #"{"portal": {"plan": "free"}}"#])
    func configItselfAndNestedObjectsAreNotKeys(json: String) async throws {
        expect(await refusal(["serve", "--config", try configFile(json)]), toSay: "unknown key")
    }

    @Test(arguments: [
        (#"{"port": "9090"}"#, #""port" must be an integer"#),
        (#"{"port": true}"#, #""port" must be an integer"#),
        (#"{"port": 80.5}"#, #""port" must be an integer"#),
        (#"{"ephemeral": 1}"#, #""ephemeral" must be true or false"#),
        (#"{"metrics": "no"}"#, #""metrics" must be true or false"#),
        (#"{"host": 127}"#, #""host" must be a string"#),
        (#"{"verify-rate-per-token": "fast"}"#, #""verify-rate-per-token" must be a number"#),
        (#"{"seed": null}"#, #""seed" must be an integer"#),
    ])
    func aValueOfTheWrongTypeIsRefused(json: String, expected: String) async throws {
        let file = try configFile(json)
        expect(await refusal(["serve", "--config", file]), toSay: "config file \(file): \(expected)")
    }

    @Test func aMissingOrMalformedFileIsRefused() async throws {
        expect(
            await refusal(["serve"], ["TOKEND_CONFIG": "/no/such/tokend.json"]), toSay: "config file /no/such/tokend.json does not exist")
        let malformed = try configFile(#"{"port": 9090,"#)
        expect(await refusal(["serve", "--config", malformed]), toSay: "config file \(malformed) is not valid JSON")
        let array = try configFile("[1, 2]")
        expect(await refusal(["serve", "--config", array]), toSay: "config file \(array) must hold a JSON object")
    }

    @Test func aVariableThatIsNotItsOptionsTypeIsRefusedByName() async throws {
        let file = try configFile(#"{"port": 9090}"#)
        expect(await refusal(["serve", "--config", file], ["TOKEND_PORT": "abc"]), toSay: "TOKEND_PORT=abc (--port) must be an integer")
        expect(
            await refusal(["serve"], ["TOKEND_EPHEMERAL": "maybe"]),
            toSay: "TOKEND_EPHEMERAL=maybe (--ephemeral) must be 1, true, yes, 0, false or no")
        expect(
            await refusal(["serve"], ["TOKEND_VERIFY_RATE_PER_TOKEN": "fast"]),
            toSay: "TOKEND_VERIFY_RATE_PER_TOKEN=fast (--verify-rate-per-token) must be a number")
    }

    @Test func aBadVariableIsNotReadWhenTheCommandLineGivesItsOption() async throws {
        #expect(await refusal(["serve", "--port", "1"], ["TOKEND_PORT": "abc"]) == nil)
    }
}
