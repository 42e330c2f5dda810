import SSOWatchDNS
import SSOWatchModel

/// The pieces of a `StateDocument` one by one, in the state file's own JSON (docs/STATE.md): the rows of a
/// store that keeps each account, connector, DNS result, outbox entry and webhook apart (the PostgreSQL store
/// of docs/HA.md). Written by `StateJSONWriter` and read by `StateJSONReader`, so the format has one encoder
/// and one decoder however it is stored, and a field added to the state file reaches these rows unchanged.
package enum StateRows {
    /// The account without its connectors (they are rows of their own).
    package static func account(_ account: AccountState) -> [UInt8] {
        var bare = account
        bare.connectors = [:]
        return encode { $0.account(bare) }
    }

    /// The connector without its DNS check (a row of its own).
    package static func connector(_ connector: ConnectorState) -> [UInt8] {
        var bare = connector
        bare.dns = nil
        bare.dnsEpisode = nil
        return encode { $0.connector(bare) }
    }

    /// The connector's DNS check and episode, `{"dns":…,"dns_episode":…}`; `nil` when it has neither.
    package static func dns(_ connector: ConnectorState) -> [UInt8]? {
        guard connector.dns != nil || connector.dnsEpisode != nil else { return nil }
        return encode { writer in
            writer.raw("{")
            if let check = connector.dns {
                writer.raw("\"dns\":")
                writer.dnsCheck(check)
            }
            if let episode = connector.dnsEpisode {
                if connector.dns != nil { writer.comma() }
                writer.raw("\"dns_episode\":")
                writer.dnsEpisode(episode)
            }
            writer.raw("}")
        }
    }

    package static func outboxEntry(_ entry: OutboxEntry) -> [UInt8] { encode { $0.outboxEntry(entry) } }

    package static func webhook(_ state: WebhookDeliveryState) -> [UInt8] { encode { $0.webhook(state) } }

    package static func readAccount(_ bytes: [UInt8]) throws(JSONReadError) -> AccountState {
        try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in try reader.account() }
    }

    package static func readConnector(_ bytes: [UInt8]) throws(JSONReadError) -> ConnectorState {
        try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in try reader.connector() }
    }

    /// Reads a `dns` row into `connector`.
    package static func readDNS(_ bytes: [UInt8], into connector: inout ConnectorState) throws(JSONReadError) {
        let (check, episode) = try JSONByteReader.read(bytes) {
            (reader) throws(JSONReadError) -> (DNSRecordCheck?, DNSEpisode?) in
            var check: DNSRecordCheck?? = .none
            var episode: DNSEpisode?? = .none
            try reader.object { (reader, key) throws(JSONReadError) in
                switch key {
                case "dns": try reader.onceOptional(&check) { (r) throws(JSONReadError) in try r.dnsCheck() }
                case "dns_episode":
                    try reader.onceOptional(&episode) { (r) throws(JSONReadError) in try r.dnsEpisode() }
                default: try reader.skipValue()
                }
            }
            return (check ?? nil, episode ?? nil)
        }
        connector.dns = check
        connector.dnsEpisode = episode
    }

    package static func readOutboxEntry(_ bytes: [UInt8]) throws(JSONReadError) -> OutboxEntry {
        try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in try reader.outboxEntry() }
    }

    package static func readWebhook(_ bytes: [UInt8]) throws(JSONReadError) -> WebhookDeliveryState {
        try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in try reader.webhook() }
    }

    private static func encode(_ body: (inout StateJSONWriter.Writer) -> Void) -> [UInt8] {
        var writer = StateJSONWriter.Writer()
        body(&writer)
        return writer.out
    }
}
