/// `transform` applied to every item, at most `limit` at a time, results in the items' order: the bounded
/// fan-out of the one-shot commands (`poll` within `max_concurrent_requests`, `dns-check`).
func concurrentMap<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, _ transform: @escaping @Sendable (Item) async -> Result
) async -> [Result] {
    var results = [Result?](repeating: nil, count: items.count)
    await withTaskGroup(of: (Int, Result).self) { group in
        var next = 0
        func addNext() {
            guard next < items.count else { return }
            let index = next
            let item = items[index]
            next += 1
            group.addTask { (index, await transform(item)) }
        }
        for _ in 0..<min(max(1, limit), items.count) { addNext() }
        for await (index, result) in group {
            results[index] = result
            addNext()
        }
    }
    return results.compactMap { $0 }
}
