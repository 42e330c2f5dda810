import NIOCore
import NIOHTTP1
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// Answers one request at a time, in order, and only as fast as the peer reads the answers.
///
/// `HTTPServerPipelineHandler` upstream hands over one request at a time and, until its answer is
/// written, keeps later pipelined requests to itself and stops reading from the socket. So an answer
/// that waits here while the channel is not writable (more output queued than its high-water mark)
/// stops the reading too: a peer that sends requests without reading the answers gets a bounded
/// amount of output queued for it, not one rendered answer per request it sent.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// A complete request whose answer is not written yet; `counted` once it has waited for the peer.
    private struct Waiting {
        var request: HTTPRequestHead
        var counted = false
    }

    private let render: @Sendable () -> String
    private let gate: MetricsConnectionGate
    private var head: HTTPRequestHead?
    private var waiting: Waiting?
    private var answering = false

    init(render: @escaping @Sendable () -> String, gate: MetricsConnectionGate) {
        self.render = render
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break  // no endpoint takes a body
        case .end:
            guard let head else { return }
            self.head = nil
            waiting = Waiting(request: head)
            answerWhileWritable(context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        answerWhileWritable(context: context)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        waiting = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Answers the waiting request, and the pipelined ones handed over in turn, until the channel stops
    /// being writable.
    ///
    /// Writing an answer makes the pipelining handler hand over the next request at once, from inside
    /// the write: that nested call only records it, and this loop answers it, so the stack does not grow
    /// with the number of requests a peer pipelined.
    private func answerWhileWritable(context: ChannelHandlerContext) {
        guard !answering else { return }
        answering = true
        defer { answering = false }
        while let next = waiting {
            guard context.channel.isWritable else {
                if !next.counted {
                    waiting?.counted = true
                    gate.recordHeldResponse()
                }
                return
            }
            waiting = nil
            respond(to: next.request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        let body: String
        switch (request.method, path) {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            status = .ok
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            body = render()
        case (.GET, "/"), (.HEAD, "/"):
            status = .ok
            headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
            body =
                "<html><head><title>ssowatch</title></head><body><h1>ssowatch \(SSOWatchVersion.string)</h1>"
                + "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n"
        case (.GET, _), (.HEAD, _):
            status = .notFound
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            body = "not found; the metrics are at /metrics\n"
        default:
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            body = "method not allowed; use GET\n"
        }
        let buffer = context.channel.allocator.buffer(string: body)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        let keepAlive = request.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
            promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
