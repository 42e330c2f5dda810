import CMalloc

/// Process-wide allocator settings for the long-running daemon.
public enum MemoryTuning {
    /// Makes glibc hand freed memory back to the system. Every state write allocates a buffer the size of
    /// the state file (megabytes with thousands of accounts); with glibc's adaptive thresholds those buffers
    /// stayed in the heap once freed, about 8 MB of the daemon's resident memory with 1,000 accounts
    /// (BENCHMARKS.md). Fixed thresholds keep large buffers in mappings of their own, unmapped when freed.
    /// Call once, early, from the process that runs the daemon.
    public static func returnFreedMemoryPromptly() {
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        _ = mallopt(M_TRIM_THRESHOLD, 128 * 1024)
    }
}
