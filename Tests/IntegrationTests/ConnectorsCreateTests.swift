import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// `ssowatch connectors create`: what is sent, the TXT record to publish, and Cloudflare's refusals.
@Suite struct ConnectorsCreateTests: ConnectorsCommandSuite {
    @Test func createBeginsVerificationAndPrintsTheTXTRecordToPublish() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "new.example.com", "--account", "prod",
            ])

            #expect(result.status == 0, "\(result)")
            let created = try #require(setup.simulator.connectors(accountID: Self.prod.id).first)
            #expect(created.emailDomain == "new.example.com")
            #expect(created.status == "pending")
            #expect(field("id", in: result.stdout) == created.id, "\(result)")
            #expect(field("status", in: result.stdout) == "pending")
            #expect(result.stdout.contains("Publish this DNS record"), "\(result)")
            #expect(result.stdout.contains("new.example.com.  TXT  \"cloudflare_dashboard_sso=\(created.id)\""))
            let request = try onlyRequest(setup)
            #expect(request.method == "POST")
            #expect(request.path == setup.connectorsPath())
            #expect(request.bodyString == #"{"begin_verification":true,"email_domain":"new.example.com"}"#)
        }
    }

    @Test func createWithoutBeginningVerificationLeavesItAwaiting() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "later.example.com", "--no-begin-verification", "--account", "prod",
            ])

            #expect(result.status == 0, "\(result)")
            #expect(field("status", in: result.stdout) == "awaiting", "\(result)")
            #expect(setup.simulator.connectors(accountID: Self.prod.id).map(\.status) == ["awaiting"])
            #expect(try onlyRequest(setup).bodyString.contains(#""begin_verification":false"#))
        }
    }

    @Test func createWithFedrampLanguage() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "gov.example.com", "--fedramp-language", "--account", "prod",
            ])

            #expect(result.status == 0, "\(result)")
            #expect(field("use_fedramp_language", in: result.stdout) == "yes", "\(result)")
            #expect(setup.simulator.connectors(accountID: Self.prod.id).map(\.useFedrampLanguage) == [true])
            #expect(
                try onlyRequest(setup).jsonObject?.keys.sorted() == [
                    "begin_verification", "email_domain", "use_fedramp_language",
                ])
        }
    }

    @Test func createJSONPrintsTheRawResult() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "j.example.com", "--account", "prod", "--json",
            ])
            #expect(result.status == 0, "\(result)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["email_domain"] as? String == "j.example.com", "\(result)")
            #expect(!result.stdout.contains("Publish this DNS record"))
        }
    }

    @Test func createOfADuplicateDomainReportsCloudflaresRefusal() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.addConnector(accountID: Self.prod.id, domain: "dup.example.com")
            let result = try await setup.run([
                "connectors", "create", "--domain", "dup.example.com", "--account", "prod",
            ])
            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("1002"), "\(result)")
            #expect(result.stderr.contains("already exists"), "\(result)")
        }
    }
}
