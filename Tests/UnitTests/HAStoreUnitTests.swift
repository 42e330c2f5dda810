import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDNS
@testable import SSOWatchModel
@testable import SSOWatchState

/// The pieces of the pair's store that need no database (docs/HA.md): the `ha_postgres_url` and its errors,
/// and the rows of the state, which must read back to the same state.
@Suite struct HAStoreUnitTests {
    @Test func aPostgresURLIsReadWithItsDefaults() throws {
        let url = try PostgresURL.parse("postgresql://watch%40er:p%3Ass@db.example.com/ssowatch").get()
        #expect(url.user == "watch@er")
        #expect(url.password?.value == "p:ss")
        #expect(url.host == "db.example.com")
        #expect(url.port == 5432)
        #expect(url.database == "ssowatch")
        #expect(!url.requireTLS)
        #expect(url.display == "db.example.com:5432/ssowatch")
        #expect(!"\(url)".contains("p:ss") && !"\(url.password!)".contains("p:ss"))
        let tls = try PostgresURL.parse("postgres://u@[::1]:6543/db?sslmode=require").get()
        #expect(tls.host == "::1" && tls.port == 6543 && tls.requireTLS)
        #expect(tls.display == "[::1]:6543/db")
    }

    @Test(arguments: [
        ("https://u@h/db", "its scheme is not postgresql://"),
        ("postgresql://h/db", "it names no user"),
        ("postgresql://u@h", "it names no database"),
        ("postgresql://u@h/db?sslmode=allow", "sslmode must be disable, require or verify-full"),
        ("postgresql://u@h/db?connect_timeout=3", "only sslmode is understood"),
    ])
    func aWrongPostgresURLIsRefused(text: String, reason: String) throws {
        guard case .failure(let error) = PostgresURL.parse(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.description.contains(reason), "\(error)")
    }

    @Test func aWrongURLInTheConfigurationNamesTheKeyNotTheSecret() throws {
        let text = """
            [daemon]
            ha_postgres_url = mysql://admin:topsecret@db/ssowatch
            [account "prod"]
            account_id = 023e105f4ecef8ad9ca31a8372d0c353
            api_token = cfut_token_0123456789

            """
        do {
            _ = try ConfigLoader(environment: [:], fileSystem: InMemoryConfigFileSystem()).parse(
                text: text, path: "/etc/ssowatch/ssowatch.ini")
            Issue.record("accepted")
        } catch {
            #expect(
                error.description.hasPrefix("/etc/ssowatch/ssowatch.ini:2: `ha_postgres_url` is not a PostgreSQL URL"))
            #expect(!error.description.contains("topsecret"))
        }
    }

    @Test func everyRowReadsBackToWhatWasWritten() throws {
        let document = StateDNSTests.document()
        for account in document.accounts.values {
            var read = try StateRows.readAccount(StateRows.account(account))
            #expect(read.connectors.isEmpty, "an account's row holds no connectors")
            for connector in account.connectors.values {
                var row = try StateRows.readConnector(StateRows.connector(connector))
                #expect(row.dns == nil && row.dnsEpisode == nil, "a connector's row holds no DNS check")
                let dns = try #require(StateRows.dns(connector))
                try StateRows.readDNS(dns, into: &row)
                read.connectors[row.id] = row
            }
            #expect(read == account)
        }
        for entry in document.outbox {
            #expect(try StateRows.readOutboxEntry(StateRows.outboxEntry(entry)) == entry)
        }
        let webhook = WebhookDeliveryState(lastError: "HTTP 500", failing: true, lastSuccess: StateDNSTests.t0)
        #expect(try StateRows.readWebhook(StateRows.webhook(webhook)) == webhook)
        let plain = ConnectorState(id: "c2", statusSince: StateDNSTests.t0, lastSeen: StateDNSTests.t0)
        #expect(StateRows.dns(plain) == nil, "no row for a connector never checked")
    }
}
