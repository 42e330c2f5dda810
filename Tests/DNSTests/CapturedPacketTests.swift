import Testing

@testable import SSOWatchDNS

/// Decoding answers written by nsd, and encoding queries byte for byte like capture.py's hand-built ones.
@Suite struct CapturedPacketTests {
    private let apex = try! DNSName("example.test")
    private let expectedValue = "cloudflare_dashboard_sso=023e105f4ecef8ad9ca31a8372d0c353"

    @Test func queriesEncodeLikeTheHandBuiltOnes() throws {
        let cases: [(UInt16, String, DNSRecordType, Bool, [UInt8])] = [
            (0x1A2B, "example.test", .txt, true, CapturedPackets.txtApexQuery),
            (0x0001, "example.test", .soa, true, CapturedPackets.soaApexQuery),
            (0x0003, "ns1.example.test", .a, true, CapturedPackets.aNS1Query),
            (0x0004, "ns1.example.test", .aaaa, true, CapturedPackets.aaaaNS1Query),
            (0x0009, "long.example.test", .txt, false, CapturedPackets.txtLongUDPNoEDNSQuery),
        ]
        for (id, name, type, edns, captured) in cases {
            let query = DNSMessage.query(
                id: id, name: try DNSName(name), type: type, recursionDesired: false, payloadSize: edns ? 1232 : nil)
            #expect(try query.encode() == captured, "\(name) \(type)")
            #expect(try DNSMessage.decode(captured) == query)
        }
    }

    @Test func txtAnswerWithSeveralStringsAndGlue() throws {
        let answer = try DNSMessage.decode(CapturedPackets.txtApexAnswer)
        #expect(answer.id == 0x1A2B)
        #expect(answer.isResponse && answer.isAuthoritative && !answer.isTruncated && !answer.recursionAvailable)
        #expect(answer.responseCode == .noError)
        #expect(answer.questions == [DNSQuestion(name: apex, type: .txt)])
        let texts = answer.answers.compactMap(\.data.joinedText)
        #expect(texts == [expectedValue, "v=spf1 include:_spf.example.test -all"])
        #expect(answer.answers.allSatisfy { $0.name == apex && $0.ttl == 300 && $0.type == .txt })
        guard case .txt(let strings) = answer.answers[1].data else {
            Issue.record("not TXT")
            return
        }
        #expect(strings.count == 3)
        #expect(
            answer.authority.map(\.data) == [
                .ns(try DNSName("ns1.example.test")), .ns(try DNSName("ns2.example.test")),
            ])
        #expect(
            answer.additional.map(\.data) == [
                .a([127, 0, 0, 2]), .a([127, 0, 0, 3]), .aaaa(Array(repeating: 0, count: 15) + [1]),
            ])
        #expect(answer.edns == DNSEDNS(udpPayloadSize: 1232))
    }

    @Test func soaFields() throws {
        let answer = try DNSMessage.decode(CapturedPackets.soaApexAnswer)
        let soa = DNSSOA(
            primaryNameserver: try DNSName("ns1.example.test"),
            responsibleMailbox: try DNSName("hostmaster.example.test"),
            serial: 2_024_010_101, refresh: 3600, retry: 600, expire: 86400, minimum: 300)
        #expect(answer.answers == [DNSResourceRecord(name: apex, data: .soa(soa))])
    }

    @Test func nsSetAndAddresses() throws {
        let ns = try DNSMessage.decode(CapturedPackets.nsApexAnswer)
        #expect(ns.answers.map(\.data) == [.ns(try DNSName("ns1.example.test")), .ns(try DNSName("ns2.example.test"))])
        let glue = DNSAuthorityFinder.addresses(of: try DNSName("NS1.example.TEST"), in: ns.additional, port: 5353)
        #expect(glue.map(\.description) == ["127.0.0.2:5353", "[::1]:5353"])
        let a = try DNSMessage.decode(CapturedPackets.aNS1Answer)
        #expect(a.answers.map(\.data) == [.a([127, 0, 0, 2])])
        let aaaa = try DNSMessage.decode(CapturedPackets.aaaaNS1Answer)
        #expect(DNSAuthorityFinder.addresses(of: nil, in: aaaa.answers, port: 53).map(\.host) == ["::1"])
    }

    @Test func cnameInsideTheZoneIsFollowedInTheAnswer() throws {
        let answer = try DNSMessage.decode(CapturedPackets.txtAliasAnswer)
        #expect(answer.answers.first?.data == .cname(apex))
        let (values, unresolved) = DNSTXTLookup.txtValues(in: answer, for: try DNSName("alias.example.test"))
        #expect(values == [expectedValue, "v=spf1 include:_spf.example.test -all"])
        #expect(unresolved == nil)
    }

    @Test func cnameOutOfTheZoneLeavesTheTargetToAskAgain() throws {
        let answer = try DNSMessage.decode(CapturedPackets.txtOutsideCNAMEAnswer)
        let (values, unresolved) = DNSTXTLookup.txtValues(in: answer, for: try DNSName("outside.example.test"))
        #expect(values.isEmpty)
        #expect(unresolved == (try DNSName("sso.elsewhere.invalid")))
    }

    @Test func negativeAnswersCarryTheZoneSOA() throws {
        let nxdomain = try DNSMessage.decode(CapturedPackets.txtNXDomainAnswer)
        #expect(nxdomain.responseCode == .nameError && nxdomain.answers.isEmpty)
        #expect(nxdomain.authority.map(\.name) == [apex] && nxdomain.authority.first?.type == .soa)
        let nodata = try DNSMessage.decode(CapturedPackets.txtNoDataAnswer)
        #expect(nodata.responseCode == .noError && nodata.answers.isEmpty && nodata.authority.first?.type == .soa)
        let deep = try DNSMessage.decode(CapturedPackets.soaSubdomainAnswer)
        #expect(deep.responseCode == .nameError && deep.authority.first?.name == apex)
    }

    @Test func longTXTTruncatedOverUDPAndWholeOverTCP() throws {
        let udp = try DNSMessage.decode(CapturedPackets.txtLongUDPNoEDNSAnswer)
        #expect(udp.isTruncated && udp.answers.isEmpty && udp.edns == nil)
        let tcp = try DNSMessage.decode(CapturedPackets.txtLongTCPAnswer)
        #expect(!tcp.isTruncated)
        guard case .txt(let strings) = tcp.answers.first?.data else {
            Issue.record("no TXT over TCP")
            return
        }
        #expect(strings.map(\.count) == [255, 255, 100])
        #expect(
            tcp.answers.first?.data.joinedText == String(repeating: "a", count: 255)
                + String(repeating: "b", count: 255) + String(repeating: "c", count: 100))
    }

    @Test func refusedWithAnExtendedErrorOption() throws {
        let answer = try DNSMessage.decode(CapturedPackets.txtRefusedAnswer)
        #expect(answer.responseCode == .refused && !answer.isAuthoritative)
        // Extended DNS Error 20, "Not Authoritative" (RFC 8914).
        #expect(answer.edns?.options == [DNSEDNS.Option(code: 15, data: [0x00, 0x14])])
    }

    @Test func everyCapturedAnswerSurvivesReencoding() throws {
        for packet in CapturedPackets.answers {
            let message = try DNSMessage.decode(packet)
            #expect(try DNSMessage.decode(message.encode()) == message)
            #expect(try DNSMessage.decode(message.encode(compress: false)) == message)
        }
    }
}

extension CapturedPackets {
    static var answers: [[UInt8]] {
        [
            txtApexAnswer, soaApexAnswer, nsApexAnswer, aNS1Answer, aaaaNS1Answer, txtAliasAnswer,
            txtOutsideCNAMEAnswer, txtNXDomainAnswer, txtNoDataAnswer, txtLongUDPNoEDNSAnswer, txtLongTCPAnswer,
            txtRefusedAnswer, soaSubdomainAnswer,
        ]
    }
}
