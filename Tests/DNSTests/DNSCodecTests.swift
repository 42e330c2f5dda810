import Testing

@testable import SSOWatchDNS

@Suite struct DNSNameTests {
    @Test func parsesAndPrints() throws {
        let name = try DNSName("Example.COM.")
        #expect(name.labels == [Array("Example".utf8), Array("COM".utf8)])
        #expect(name.description == "Example.COM")
        #expect(try DNSName("") == .root && DNSName(".") == .root && DNSName.root.description == ".")
        #expect(try DNSName(labels: [[0x61, 0x2E, 0x00]]).description == "a\\.\\000")
    }

    @Test func comparesWithoutCase() throws {
        #expect(try DNSName("SSO.Example.com") == DNSName("sso.example.COM"))
        #expect(try Set([DNSName("A.b"), DNSName("a.B")]).count == 1)
        #expect(try DNSName("a.example.com") != DNSName("example.com"))
    }

    @Test func ancestry() throws {
        let name = try DNSName("a.b.example.com")
        #expect(try name.isWithin(DNSName("EXAMPLE.com")) && name.isWithin(.root) && name.isWithin(name))
        #expect(try !DNSName("example.com").isWithin(name) && !DNSName("xexample.com").isWithin(DNSName("example.com")))
        #expect(try name.parent == DNSName("b.example.com"))
        #expect(DNSName.root.parent == nil)
    }

    @Test func lengthLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(throws: Never.self) {
            try DNSName("\(label63).\(label63).\(label63).\(String(repeating: "b", count: 61))")
        }
        #expect { try DNSName(String(repeating: "a", count: 64)) } throws: { ($0 as? DNSWireError)?.kind == .badLabel }
        #expect { try DNSName("\(label63).\(label63).\(label63).\(String(repeating: "b", count: 62))") } throws: {
            ($0 as? DNSWireError)?.kind == .nameTooLong
        }
        #expect { try DNSName("a..b") } throws: { ($0 as? DNSWireError)?.kind == .badLabel }
    }
}

@Suite struct DNSMessageCodecTests {
    private func sample() throws -> DNSMessage {
        let zone = try DNSName("example.test")
        let soa = DNSSOA(
            primaryNameserver: try DNSName("ns1.example.test"), responsibleMailbox: try DNSName("h.example.test"),
            serial: 7)
        return DNSMessage(
            id: 0xABCD, isResponse: true, opcode: 0, isAuthoritative: true, isTruncated: false, recursionDesired: true,
            recursionAvailable: true, authenticData: true, checkingDisabled: true,
            responseCode: DNSResponseCode(rawValue: 0x123),
            questions: [DNSQuestion(name: zone, type: .txt)],
            answers: [
                DNSResourceRecord(
                    name: zone, ttl: 60, data: .txt([Array("one".utf8), [], Array(repeating: 0x7A, count: 255)])),
                DNSResourceRecord(name: try DNSName("www.EXAMPLE.test"), data: .cname(zone)),
                DNSResourceRecord(name: try DNSName("ns1.example.test"), data: .a([192, 0, 2, 1])),
                DNSResourceRecord(name: try DNSName("ns1.example.test"), data: .aaaa(Array(0..<16))),
            ],
            authority: [
                DNSResourceRecord(name: zone, data: .soa(soa)),
                DNSResourceRecord(name: zone, data: .ns(try DNSName("ns2.example.test"))),
            ],
            additional: [
                DNSResourceRecord(
                    name: zone, type: DNSRecordType(rawValue: 99), recordClass: 3, ttl: 1, data: .unknown([1, 2, 3]))
            ],
            edns: DNSEDNS(
                udpPayloadSize: 4096, version: 0, dnssecOK: true, options: [.init(code: 10, data: Array(0..<8))]))
    }

    @Test func roundTripsEveryFieldWithAndWithoutCompression() throws {
        let message = try sample()
        let compressed = try message.encode()
        let plain = try message.encode(compress: false)
        #expect(try DNSMessage.decode(compressed) == message)
        #expect(try DNSMessage.decode(plain) == message)
        #expect(compressed.count < plain.count)
    }

    @Test func compressionPointsAtTheEarlierName() throws {
        let name = try DNSName("example.test")
        let message = DNSMessage(
            id: 1, isResponse: true, questions: [DNSQuestion(name: name, type: .a)],
            answers: [DNSResourceRecord(name: name, data: .a([1, 2, 3, 4]))])
        let bytes = try message.encode()
        // Header (12) + question name (14) + type/class (4), then the answer's owner: a pointer to byte 12.
        #expect(Array(bytes[30..<32]) == [0xC0, 0x0C])
    }

    @Test func extendedResponseCodeTravelsInOPT() throws {
        let message = DNSMessage(id: 9, isResponse: true, responseCode: .badVersion, edns: DNSEDNS())
        let bytes = try message.encode()
        #expect(bytes[3] & 0x0F == 0)
        #expect(try DNSMessage.decode(bytes).responseCode == .badVersion)
        #expect { try DNSMessage(id: 9, responseCode: .badVersion).encode() } throws: {
            ($0 as? DNSWireError)?.kind == .unencodable
        }
    }

    @Test func refusesValuesTheWireCannotCarry() throws {
        let name = try DNSName("x.test")
        let cases: [DNSResourceRecord] = [
            DNSResourceRecord(name: name, data: .txt([Array(repeating: 0x61, count: 256)])),
            DNSResourceRecord(name: name, data: .txt([])),
            DNSResourceRecord(name: name, data: .a([1, 2, 3])),
            DNSResourceRecord(name: name, type: .txt, recordClass: 1, ttl: 0, data: .a([1, 2, 3, 4])),
        ]
        for record in cases {
            #expect { try DNSMessage(id: 1, answers: [record]).encode() } throws: {
                ($0 as? DNSWireError)?.kind == .unencodable
            }
        }
    }

    @Test func joinsTXTStrings() {
        #expect(
            DNSRecordData.join([Array("cloudflare_dashboard_sso=".utf8), Array("abc".utf8)])
                == "cloudflare_dashboard_sso=abc")
        #expect(DNSRecordData.a([1, 2, 3, 4]).joinedText == nil)
    }
}

@Suite struct DNSServerAddressTests {
    @Test func parsesTheConfigurationForms() throws {
        #expect(try DNSServerAddress(parsing: "192.0.2.1").description == "192.0.2.1:53")
        #expect(try DNSServerAddress(parsing: "192.0.2.1:5353").port == 5353)
        #expect(try DNSServerAddress(parsing: "2001:db8::1").description == "[2001:db8::1]:53")
        #expect(try DNSServerAddress(parsing: "[2001:db8::1]:5300").description == "[2001:db8::1]:5300")
        #expect(try DNSServerAddress(parsing: "[::1]", defaultPort: 10053).port == 10053)
        for bad in ["", "dns.example.com", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:70000", "[::1", "[::1]x", "1.2.3"] {
            #expect(throws: DNSServerAddressError.self, "\(bad)") { try DNSServerAddress(parsing: bad) }
        }
    }
}

@Suite struct ResolvConfTests {
    @Test func readsNameserverLines() {
        let text = """
            # generated by NetworkManager
            search example.com
            nameserver 192.0.2.53   # office
            nameserver\t2001:db8::53
            ; nameserver 192.0.2.99
            nameserver fe80::1%eth0
            nameserver not-an-address
            nameserver
            options edns0 trust-ad
            nameserver 198.51.100.1
            nameserver 198.51.100.2
            """
        #expect(
            ResolvConf.nameservers(in: text).map(\.description) == [
                "192.0.2.53:53", "[2001:db8::53]:53", "198.51.100.1:53",
            ])
        #expect(ResolvConf.nameservers(in: "nameserver 127.0.0.1\n", port: 5353).map(\.port) == [5353])
        #expect(ResolvConf.nameservers(in: "").isEmpty)
    }
}
