/// The samples of a Prometheus exposition text: series (name and labels) → value; comments skipped.
public func prometheusSamples(_ text: String) -> [String: String] {
    var samples: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        samples[String(line[..<space])] = String(line[line.index(after: space)...])
    }
    return samples
}
