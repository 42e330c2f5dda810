import SSOWatchDNS
import SSOWatchSimulator
import Testing

/// `DNSClient` against the simulator's nameservers: answers, ignored decoys, deadlines, TCP fallback.
@Suite struct DNSClientTests {
    private let domain = try! DNSName("example.test")

    @Test func getsTheAnswer() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            let answer = try await DNSFixture.client().query(
                domain, type: .txt, server: DNSFixture.address("127.0.0.2", dns), recursionDesired: false)
            #expect(answer.isAuthoritative && answer.responseCode == .noError)
            #expect(answer.answers.compactMap(\.data.joinedText) == [DNSFixture.expected])
            #expect(dns.queries.map(\.overTCP) == [false])
        }
    }

    @Test func ignoresAnAnswerWithTheWrongID() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            dns.setFault(.wrongIDFirst, on: "ns1.example.test")
            let answer = try await DNSFixture.client(udpAttempts: 1).query(
                domain, type: .txt, server: DNSFixture.address("127.0.0.2", dns), recursionDesired: false)
            #expect(answer.responseCode == .noError)
            #expect(answer.answers.compactMap(\.data.joinedText) == [DNSFixture.expected])
        }
    }

    @Test func ignoresAnAnswerFromAnotherAddress() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            dns.setFault(.answerFromAnotherAddress, on: "ns1.example.test")
            await #expect {
                try await DNSFixture.client(timeout: .milliseconds(300), udpAttempts: 1).query(
                    domain, type: .txt, server: DNSFixture.address("127.0.0.2", dns), recursionDesired: false)
            } throws: { ($0 as? DNSClientError)?.kind == .timeout }
        }
    }

    @Test func timesOutWhenTheServerNeverAnswers() async throws {
        try await withDNSSimulator { dns in
            dns.setFault(.drop, on: "127.0.0.3")
            await #expect {
                try await DNSFixture.client(timeout: .milliseconds(300)).query(
                    domain, type: .txt, server: DNSFixture.address("127.0.0.3", dns), recursionDesired: false)
            } throws: { ($0 as? DNSClientError)?.kind == .timeout }
            // Both UDP attempts reached the server.
            #expect(dns.queries.count == 2)
        }
    }

    @Test func retriesOverTCPWhenTruncated() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            dns.setFault(.truncateOverUDP, on: "ns1.example.test")
            let answer = try await DNSFixture.client().query(
                domain, type: .txt, server: DNSFixture.address("127.0.0.2", dns), recursionDesired: false)
            #expect(!answer.isTruncated && answer.answers.compactMap(\.data.joinedText) == [DNSFixture.expected])
            #expect(dns.queries.map(\.overTCP) == [false, true])
        }
    }

    @Test func aLongRecordComesOverTCP() async throws {
        try await withDNSSimulator { dns in
            let long = DNSFixture.expected + String(repeating: "x", count: 1500)
            dns.setTXT("example.test", [long])
            let answer = try await DNSFixture.client().query(
                domain, type: .txt, server: DNSFixture.address("127.0.0.3", dns), recursionDesired: false)
            #expect(answer.answers.compactMap(\.data.joinedText) == [long])
            #expect(dns.queries.map(\.overTCP) == [false, true])
        }
    }

    @Test(arguments: [(DNSSimulator.Fault.serverFailure, DNSResponseCode.serverFailure), (.refused, .refused)])
    func returnsErrorCodesAsAnswers(fault: DNSSimulator.Fault, code: DNSResponseCode) async throws {
        try await withDNSSimulator { dns in
            dns.setFault(fault, on: "ns1.example.test")
            let answer = try await DNSFixture.client().query(
                domain, type: .txt, server: DNSFixture.address("127.0.0.2", dns), recursionDesired: false)
            #expect(answer.responseCode == code)
        }
    }

    @Test func aServerThatStallsMidAnswerOverTCPCannotHoldTheCaller() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            dns.setFault(.stallOverTCP, on: "ns1.example.test")
            await #expect {
                try await DNSFixture.client(timeout: .milliseconds(300)).query(
                    domain, type: .txt, server: DNSFixture.address("127.0.0.2", dns), recursionDesired: false)
            } throws: { ($0 as? DNSClientError)?.kind == .timeout }
            #expect(dns.queries.contains { $0.overTCP })
        }
    }

    @Test func aZoneTheServerDoesNotServeIsRefused() async throws {
        try await withDNSSimulator { dns in
            let answer = try await DNSFixture.client().query(
                try DNSName("other.invalid"), type: .txt, server: DNSFixture.address("127.0.0.2", dns),
                recursionDesired: false)
            #expect(answer.responseCode == .refused)
        }
    }
}
