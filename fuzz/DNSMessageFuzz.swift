// libFuzzer entry point for the DNS wire codec (SSOWatchDNS): `DNSMessage.decode` on any bytes, as an
// answer from a hostile or broken server would arrive, and the helpers that read what it returns.
// Build and run with `make fuzz` (fuzz/run.sh).
//
// Oracles beyond "no crash": whatever decodes encodes again, with and without compression, and the
// encoding decodes to the same message (names were validated when read, so nothing decoded is
// unencodable); the TXT-chain walk and the near-miss check terminate on whatever the answer holds.

import SSOWatchDNS

private let expected = "cloudflare_dashboard_sso=023e105f4ecef8ad9ca31a8372d0c353"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let message: DNSMessage
    do {
        message = try DNSMessage.decode(bytes)
    } catch {
        precondition(error.offset >= 0 && error.offset <= bytes.count, "an error offset outside the packet")
        precondition(!error.description.isEmpty)
        return 0
    }
    for compress in [true, false] {
        let encoded: [UInt8]
        do {
            encoded = try message.encode(compress: compress)
        } catch {
            // Only growth past 65,535 bytes can make a decoded message unencodable: without compression, or
            // with names beyond the first 16 KiB, which pointers cannot reach.
            precondition(
                error.kind == .unencodable && (!compress || bytes.count > 0x3FFF),
                "a decoded message does not encode: \(error)")
            continue
        }
        guard let again = try? DNSMessage.decode(encoded) else {
            preconditionFailure("an encoded message does not decode")
        }
        precondition(again == message, "a round trip changed the message")
    }
    for question in message.questions {
        for record in message.answers {
            _ = record.data.joinedText.flatMap { DNSNearMiss.mistakes(in: $0, expected: expected) }
        }
        _ = question.name.description
    }
    return 0
}
