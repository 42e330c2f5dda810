import Logging

/// The metadata handling both of ssowatch's log handlers share: handler metadata by key, and the
/// metadata of one event merged over it (the event's values win).
protocol MetadataLogHandler: LogHandler {}

extension MetadataLogHandler {
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The handler's metadata with `extra` merged over it.
    func merged(with extra: Logger.Metadata?) -> Logger.Metadata {
        guard let extra else { return metadata }
        return metadata.merging(extra) { _, new in new }
    }
}
