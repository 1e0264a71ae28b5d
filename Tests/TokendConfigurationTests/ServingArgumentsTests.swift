import Foundation
import Testing

@testable import TokendConfiguration

/// Flags win over `TOKEND_…` variables, variables over the `--config` file, the file over
/// argument-parser's defaults (which are what is left when nothing is added).
@Suite struct ServingArgumentsTests {
    func configFile(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokend-config-\(UUID()).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func resolve(_ arguments: [String], _ environment: [String: String] = [:]) async throws -> [String] {
        try await ServingArguments.resolve(arguments, environment: environment)
    }

    @Test func aFlagBeatsItsVariableWhichBeatsTheFile() async throws {
        let file = try configFile(#"{"port": 9090, "host": "0.0.0.0", "portal-plan": "free"}"#)
        let environment = ["TOKEND_PORT": "7070", "TOKEND_HOST": "::1", "TOKEND_CONFIG": file]
        let arguments = try await resolve(["serve", "--port", "0"], environment)
        #expect(arguments == ["serve", "--port", "0", "--host=::1", "--portal-plan=free", "--config=\(file)"])
    }

    @Test func whatNoSourceGivesIsLeftToTheDefaults() async throws {
        #expect(try await resolve(["serve"]) == ["serve"])
        #expect(try await resolve([]) == [])
        #expect(try await resolve(["--ephemeral"], ["TOKEND_PORT": "0"]) == ["--ephemeral", "--port=0"])
    }

    @Test func theFileIsNamedByConfigOnTheCommandLineBeforeTokendConfig() async throws {
        let flagFile = try configFile(#"{"port": 1111}"#)
        let variableFile = try configFile(#"{"port": 2222}"#)
        for line in [["serve", "--config", flagFile], ["serve", "--config=\(flagFile)"]] {
            #expect(try await resolve(line, ["TOKEND_CONFIG": variableFile]) == line + ["--port=1111"])
        }
    }

    @Test func theFilesNumbersBooleansAndStringsAreTheirOptionsTypes() async throws {
        let file = try configFile(
            #"""
            {"port": 9090, "usage-flush-ms": 500, "verify-rate-per-token": 2.5, "verify-rate-per-tenant": 100,
             "ephemeral": true, "metrics": false, "log-format": "json", "seed": 42}
            """#)
        let arguments = try await resolve(["serve", "--config", file])
        #expect(
            Set(arguments.dropFirst(3)) == [
                "--port=9090", "--usage-flush-ms=500", "--verify-rate-per-token=2.5", "--verify-rate-per-tenant=100.0", "--ephemeral",
                "--no-metrics", "--log-format=json", "--seed=42",
            ])
    }

    @Test func flagsComeFromBooleanVariablesAndAFalseOneBeatsTheFilesTrue() async throws {
        for yes in ["1", "true", "yes", "TRUE", "Yes"] {
            #expect(
                try await resolve(["serve"], ["TOKEND_EPHEMERAL": yes, "TOKEND_METRICS": yes]) == ["serve", "--ephemeral", "--metrics"])
        }
        let file = try configFile(#"{"ephemeral": true, "metrics": true}"#)
        for no in ["0", "false", "no"] {
            let arguments = try await resolve(["serve", "--config", file], ["TOKEND_EPHEMERAL": no, "TOKEND_METRICS": no])
            #expect(arguments == ["serve", "--config", file, "--no-metrics"])
        }
        #expect(try await resolve(["serve", "--no-metrics"], ["TOKEND_METRICS": "1"]) == ["serve", "--no-metrics"])
    }

    @Test func onlyTheTablesVariablesAreReadAndAnEmptyOneIsUnset() async throws {
        let environment = [
            "TOKEND_REGIONS": "fr-par,nl-ams", "TOKEND_URL": "http://127.0.0.1:1", "TOKEND_BINARY": "/bin/false", "TOKEND_PORT": "",
            "TOKEND_REGIONS_DIR": "my-regions",
        ]
        #expect(try await resolve(["gateway"], environment) == ["gateway", "--regions=my-regions"])
    }

    @Test func eachCommandGetsOnlyItsOwnOptions() async throws {
        let environment = ["TOKEND_REGION": "nl-ams", "TOKEND_REGIONS_DIR": "folder"]
        #expect(try await resolve(["region"], environment) == ["region", "--region=nl-ams"])
        #expect(try await resolve(["serve"], environment) == ["serve", "--regions=folder"])
        // A file a gateway and its region servers share may name both.
        let shared = try configFile(#"{"region": "pl-waw", "regions": "folder", "auth": "open"}"#)
        #expect(try await resolve(["gateway", "--config", shared]) == ["gateway", "--config", shared, "--auth=open", "--regions=folder"])
    }

    @Test func otherCommandsAndHelpAreLeftAsTheyAre() async throws {
        let environment = ["TOKEND_PORT": "1", "TOKEND_CONFIG": "/no/such/file.json"]
        for line in [
            ["hash-password"], ["fill", "--count", "10"], ["serve", "--help"], ["region", "--experimental-dump-help"], ["--version"],
        ] {
            #expect(try await resolve(line, environment) == line)
        }
    }

    @Test func aValueStartingWithADashStaysAValue() async throws {
        #expect(try await resolve(["serve"], ["TOKEND_PORTAL_ORG_NAME": "-dash"]) == ["serve", "--portal-org-name=-dash"])
    }
}
