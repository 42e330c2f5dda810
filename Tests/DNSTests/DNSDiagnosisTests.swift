import Foundation
import SSOWatchDNS
import Testing

/// The results of docs/DNS.md from literal nameserver outcomes.
@Suite struct DNSDiagnosisTests {
    static let code = "023e105f4ecef8ad9ca31a8372d0c353"
    static let expected = "cloudflare_dashboard_sso=\(code)"
    private let checked = Date(timeIntervalSince1970: 1_767_225_600)

    private func diagnose(_ outcomes: [(String, DNSNameserverOutcome.Outcome)], failure: String? = nil)
        -> DNSCheckResult
    {
        let report = DNSLookupReport(
            domain: try! DNSName("example.com"), zone: try! DNSName("example.com"),
            nameservers: outcomes.map { DNSNameserverOutcome(nameserver: $0.0, outcome: $0.1) }, failure: failure)
        return DNSDiagnosis.diagnose(expected: Self.expected, report: report, checked: checked)
    }

    @Test func presentOnEveryNameserver() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: ["v=spf1 -all", Self.expected])),
            ("ns2.example.net", .answered(txtValues: [Self.expected, "cloudflare_dashboard_sso=ffff"])),
        ])
        #expect(result.result == .present)
        #expect(result.agreeing == 2 && result.nameservers == ["ns1.example.net", "ns2.example.net"])
        #expect(result.checked == checked && result.mistakes.isEmpty)
        #expect(result.detail == "TXT record \(Self.expected) found on ns1.example.net, ns2.example.net.")
    }

    @Test func aNearMissQuotingLongRecordsIsCutToTheLimit() {
        // Forty nameservers, each quoted with its `cloudflared_` value: several thousand characters.
        let typo = "cloudflared_dashboard_sso=\(Self.code)"
        let result = diagnose((1...40).map { ("ns\($0).example.net", .answered(txtValues: [typo])) })
        #expect(result.result == .nearMiss)
        #expect(result.detail.count == DNSCheckResult.detailLimit && result.detail.hasSuffix("…"))
        #expect(result.detail.hasPrefix("Mistyped TXT record:"))
    }

    @Test func partialWhileSomeLackIt() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: [Self.expected])),
            ("ns2.example.net", .answered(txtValues: [])),
        ])
        #expect(result.result == .partial && result.agreeing == 1)
        #expect(
            result.detail == "TXT record found on ns1.example.net but not yet on ns2.example.net (still propagating?).")
    }

    @Test func partialWhenTheAnsweringOnesShowItAndOthersFail() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: [Self.expected])),
            ("ns2.example.net", .failed("timed out")),
        ])
        #expect(result.result == .partial && result.agreeing == 1)
        #expect(result.detail == "TXT record found on ns1.example.net but no answer from ns2.example.net (timed out).")
    }

    @Test func missingOnEveryNameserver() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: ["cloudflare_dashboard_sso=0000other"])),
            ("ns2.example.net", .answered(txtValues: [])),
        ])
        #expect(result.result == .missing && result.agreeing == 0)
        #expect(
            result.detail
                == "TXT record missing on ns1.example.net, ns2.example.net (other cloudflare_dashboard_sso= values there "
                + "belong to other accounts); publish TXT example.com \"\(Self.expected)\".")
    }

    @Test func otherAccountsValuesAreNotAProblem() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: [Self.expected, "cloudflare_dashboard_sso=aaaabbbbccccdddd"]))
        ])
        #expect(result.result == .present)
    }

    @Test func inconclusiveWhenAFailingNameserverHidesTheAnswer() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: [])),
            ("ns2.example.net", .failed("answered SERVFAIL")),
        ])
        #expect(result.result == .inconclusive)
        #expect(
            result.detail
                == "No authoritative answer from ns2.example.net (answered SERVFAIL); no TXT record \(Self.expected) "
                + "on ns1.example.net so far.")
    }

    @Test func inconclusiveEvenWithANearMissWhenSomeFail() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: ["cloudflared_dashboard_sso=\(Self.code)"])),
            ("ns2.example.net", .failed("timed out")),
        ])
        #expect(result.result == .inconclusive)
    }

    @Test func inconclusiveWhenNothingCouldBeAsked() {
        let result = diagnose([], failure: "the resolvers could not answer example.com SOA: 127.0.0.1:53 timed out")
        #expect(result.result == .inconclusive && result.nameservers.isEmpty)
        #expect(
            result.detail
                == "Could not check example.com: the resolvers could not answer example.com SOA: 127.0.0.1:53 timed out."
        )
    }

    @Test(arguments: [
        ("cloudflared_dashboard_sso=\(code)", [DNSNearMiss.Mistake.cloudflaredPrefix]),
        (code, [.missingPrefix]),
        ("\"\(expected)\"", [.quotes]),
        ("\\\"\(expected)\\\"", [.quotes]),
        (" \(expected)\n", [.whitespace]),
        ("cloudflare_dashboard_sso= \(code)", [.whitespace]),
        (String(expected.prefix(40)), [.truncated]),
        ("cloudflare_dashboard_sso=023E105F4ECEF8AD9CA31A8372D0C353", [.caseChanged]),
        ("Cloudflare_Dashboard_SSO=\(code)", [.caseChanged]),
        ("\" cloudflared_dashboard_sso=\(code)\"", [.whitespace, .quotes, .cloudflaredPrefix]),
    ])
    func nearMissNamesTheMistake(value: String, mistakes: [DNSNearMiss.Mistake]) {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: [value])),
            ("ns2.example.net", .answered(txtValues: [value])),
        ])
        #expect(result.result == .nearMiss)
        #expect(result.mistakes == mistakes)
        #expect(result.detail.hasPrefix("Mistyped TXT record: ns1.example.net has "))
        #expect(result.detail.hasSuffix("; publish TXT example.com \"\(Self.expected)\"."))
    }

    @Test func nearMissDetailSaysWhatIsWrongAndWhere() {
        let result = diagnose([
            ("ns1.example.net", .answered(txtValues: ["cloudflared_dashboard_sso=\(Self.code)"])),
            ("ns2.example.net", .answered(txtValues: [])),
        ])
        #expect(
            result.detail
                == "Mistyped TXT record: ns1.example.net has \"cloudflared_dashboard_sso=\(Self.code)\", which starts with "
                + "cloudflared_ instead of cloudflare_; nothing similar on ns2.example.net; publish TXT example.com "
                + "\"\(Self.expected)\".")
    }

    @Test(arguments: [
        "cloudflare_dashboard_sso=ffffffffffffffffffffffffffffffff",
        "v=spf1 include:_spf.example.com -all",
        "cloudflare_dashboard_sso=",
        "023e",
        "",
        "google-site-verification=abc",
    ])
    func unrelatedValuesAreNotNearMisses(value: String) {
        #expect(DNSNearMiss.mistakes(in: value, expected: Self.expected) == nil)
        #expect(DNSNearMiss.mistakes(in: Self.expected, expected: Self.expected) == nil)
    }
}
