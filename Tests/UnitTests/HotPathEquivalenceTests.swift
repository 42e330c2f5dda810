import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchNotify

/// The per-poll shortcuts taken for speed (BENCHMARKS.md) must answer exactly as the Foundation calls they
/// replace.
@Suite struct HotPathEquivalenceTests {
    @Test func headerNamesCompareAsCaseInsensitiveCompareDoes() {
        let names = [
            "Ratelimit", "RATELIMIT", "ratelimit", "RateLimit-Policy", "Retry-After", "retry-after", "Retry_After",
            "Content-Type", "content-type", "X-1", "x-1", "[", "{", "@", "`", "Straße", "STRASSE", "é", "É", "",
        ]
        for lhs in names {
            for rhs in names {
                #expect(
                    HTTPResponseSpec.sameHeaderName(lhs, rhs) == (lhs.caseInsensitiveCompare(rhs) == .orderedSame),
                    "\(lhs) vs \(rhs)")
            }
        }
        let response = HTTPResponseSpec(status: 200, headers: [("RATELIMIT", "\"default\";r=5;t=30")])
        #expect(response.header("Ratelimit") == "\"default\";r=5;t=30")
        #expect(response.header("Ratelimit-Policy") == nil)
    }

    @Test func theRatelimitHeaderIsTrimmedAsFoundationTrims() {
        let cases: [(String, (Int, Int)?)] = [
            ("\"default\";r=50;t=30", (50, 30)),
            ("\"default\"; r=50 ;\tt=30\t", (50, 30)),
            ("\u{00A0}r=1;\u{2003}t=2\u{3000}", (1, 2)),
            ("r=1;\nt=2", nil),
            ("r=1; ;t=2", (1, 2)),
            ("r = 1;t=2", nil),
            ("r=;t=2", nil),
            ("", nil),
        ]
        for (header, expected) in cases {
            let parsed = RateLimitStatus(header: header)
            #expect(parsed?.remaining == expected?.0, "\(header.debugDescription)")
            #expect(parsed?.resetSeconds == expected?.1, "\(header.debugDescription)")
        }
    }
}
