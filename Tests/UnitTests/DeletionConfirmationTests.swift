import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// `connectors delete`: when it asks, what it shows, and which answers delete.
@Suite struct DeletionConfirmationTests {
    static let id = "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f"

    @Test func yesSkipsTheQuestionAndWithoutATerminalNothingIsSent() {
        #expect(DeletionConfirmation.decide(yes: true, stdinIsTerminal: false) == .delete)
        #expect(DeletionConfirmation.decide(yes: true, stdinIsTerminal: true) == .delete)
        #expect(DeletionConfirmation.decide(yes: false, stdinIsTerminal: true) == .ask)
        #expect(DeletionConfirmation.decide(yes: false, stdinIsTerminal: false) == .refuse)
    }

    @Test func onlyYOrYesDeletes() {
        for answer in ["y", "Y", "yes", "YES", " yes \n", "y\r\n"] {
            #expect(DeletionConfirmation.isYes(answer), "\(answer.debugDescription)")
        }
        for answer in [nil, "", "n", "no", "N", "yess", "ye", "sure", "y y", "\u{1B}[Ay"] {
            #expect(!DeletionConfirmation.isYes(answer), "\(answer.debugDescription)")
        }
    }

    @Test func theQuestionNamesTheDomainAndStatusAndWarnsWhenEnabled() {
        let enabled = Connector(id: Self.id, emailDomain: "example.com", enabled: true, rawStatus: "verified")
        #expect(
            DeletionConfirmation.prompt(for: enabled, id: Self.id)
                == "Connector \(Self.id): email domain example.com, status verified, enabled yes.\n"
                + "Warning: this connector is enabled. Deleting it turns SSO off for example.com: its users can no "
                + "longer sign in through the identity provider.\n"
                + "Delete connector \(Self.id) for example.com (status verified)? [y/N] ")
        let disabled = Connector(id: Self.id, emailDomain: "example.com", enabled: false, rawStatus: "pending")
        let prompt = DeletionConfirmation.prompt(for: disabled, id: Self.id)
        #expect(!prompt.contains("Warning"))
        #expect(prompt.hasSuffix("Delete connector \(Self.id) for example.com (status pending)? [y/N] "))
        let unknown = DeletionConfirmation.prompt(for: Connector(id: Self.id), id: Self.id)
        #expect(unknown.contains("email domain (no email domain), status unknown, enabled unknown."))
    }

    @Test func aHostileDomainCannotMoveTheCursor() {
        let connector = Connector(id: Self.id, emailDomain: "a\u{1B}[2K\rb.example", enabled: false)
        let prompt = DeletionConfirmation.prompt(for: connector, id: Self.id)
        #expect(!prompt.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" })
        #expect(prompt.contains("a\\u{1B}[2K\\u{D}b.example"))
    }
}
