import Foundation

/// Turns what each nameserver said into one of the results of `docs/DNS.md`.
///
/// Pure: the same report, expected value and date always give the same result.
public enum DNSDiagnosis {
    /// The verdict for a connector whose record value is `expected` (the whole `verification.code`).
    /// - Parameters:
    ///   - expected: `cloudflare_dashboard_sso=<code>`, as the API gives it.
    ///   - report: what the lookup found.
    ///   - checked: when the lookup ran.
    public static func diagnose(expected: String, report: DNSLookupReport, checked: Date) -> DNSCheckResult {
        let domain = report.domain.description
        let publish = "publish TXT \(domain) \"\(expected)\""
        let outcomes = report.nameservers
        let names = outcomes.map(\.nameserver)
        guard !outcomes.isEmpty else {
            let why = report.failure ?? "no nameserver found"
            return DNSCheckResult(
                result: .inconclusive, detail: "Could not check \(domain): \(why).", nameservers: [], agreeing: 0,
                checked: checked)
        }
        var holders: [String] = []
        var lacking: [String] = []
        var failures: [(nameserver: String, reason: String)] = []
        var nearMisses: [(nameserver: String, value: String, mistakes: [DNSNearMiss.Mistake])] = []
        for entry in outcomes {
            switch entry.outcome {
            case .failed(let reason):
                failures.append((entry.nameserver, reason))
            case .answered(let values):
                if values.contains(expected) {
                    holders.append(entry.nameserver)
                    continue
                }
                lacking.append(entry.nameserver)
                for value in values {
                    if let mistakes = DNSNearMiss.mistakes(in: value, expected: expected) {
                        nearMisses.append((entry.nameserver, value, mistakes))
                    }
                }
            }
        }
        let failed = failures.map { "\($0.nameserver) (\($0.reason))" }.joined(separator: "; ")
        func result(_ verdict: DNSCheckResult.Result, _ detail: String, mistakes: [DNSNearMiss.Mistake] = [])
            -> DNSCheckResult
        {
            DNSCheckResult(
                result: verdict, detail: detail, nameservers: names, agreeing: holders.count, mistakes: mistakes,
                checked: checked)
        }
        if holders.count == outcomes.count {
            return result(.present, "TXT record \(expected) found on \(list(holders)).")
        }
        if !holders.isEmpty {
            var detail = "TXT record found on \(list(holders))"
            if !lacking.isEmpty { detail += " but not yet on \(list(lacking)) (still propagating?)" }
            if !failures.isEmpty { detail += (lacking.isEmpty ? " but " : "; ") + "no answer from \(failed)" }
            return result(.partial, detail + ".")
        }
        if !failures.isEmpty {
            var detail = "No authoritative answer from \(failed)"
            if !lacking.isEmpty { detail += "; no TXT record \(expected) on \(list(lacking)) so far" }
            return result(.inconclusive, detail + ".")
        }
        if !nearMisses.isEmpty {
            let mistakes = DNSNearMiss.Mistake.allCases.filter { mistake in
                nearMisses.contains { $0.mistakes.contains(mistake) }
            }
            var seen = nearMisses.map { "\($0.nameserver) has \(quoted($0.value)), which \(explain($0.mistakes))" }
            let without = names.filter { name in !nearMisses.contains { $0.nameserver == name } }
            if !without.isEmpty { seen.append("nothing similar on \(list(without))") }
            return result(
                .nearMiss, "Mistyped TXT record: \(seen.joined(separator: "; ")); \(publish).", mistakes: mistakes)
        }
        let others = Set(
            outcomes.flatMap { entry -> [String] in
                if case .answered(let values) = entry.outcome { return values }
                return []
            }
        ).filter { $0.hasPrefix(DNSNearMiss.prefix) }
        var detail = "TXT record missing on \(list(names))"
        if !others.isEmpty {
            detail += " (other \(DNSNearMiss.prefix) values there belong to other accounts)"
        }
        return result(.missing, detail + "; \(publish).")
    }

    private static func list(_ names: [String]) -> String {
        names.joined(separator: ", ")
    }

    private static func explain(_ mistakes: [DNSNearMiss.Mistake]) -> String {
        let parts = mistakes.map(\.explanation)
        guard parts.count > 1 else { return parts.first ?? "differs" }
        return parts.dropLast().joined(separator: ", ") + " and " + parts.last!
    }

    /// The value in quotes, with control characters visible and at most 120 characters.
    private static func quoted(_ value: String) -> String {
        var shown = value.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
        if shown.count > 120 { shown = shown.prefix(117) + "..." }
        return "\"\(shown)\""
    }
}
