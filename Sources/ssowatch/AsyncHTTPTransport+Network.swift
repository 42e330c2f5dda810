import ArgumentParser
import Foundation
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel

extension AsyncHTTPTransport {
    /// Uses the configuration's proxies and CAs or, without a configuration, the proxy variables of the
    /// environment (docs/CONFIGURATION.md, "Proxies and private CAs"); a problem ends the process with
    /// status 78.
    func useNetwork(of configuration: Configuration?) throws {
        do {
            if let configuration {
                try apply(configuration.daemon.network)
            } else {
                let environment = ProcessInfo.processInfo.environment
                try apply(NetworkSettings(proxy: try ProxySettings.resolve(environment: environment)))
            }
        } catch {
            printError("ssowatch: \(error)")
            throw ExitCode(ExitStatus.config)
        }
    }

    /// A transport with the configuration's proxies and CAs; on a problem it is shut down and the process
    /// ends with status 78.
    static func forCommand(_ configuration: Configuration) async throws -> AsyncHTTPTransport {
        let transport = AsyncHTTPTransport()
        do {
            try transport.useNetwork(of: configuration)
        } catch {
            await transport.shutdown()
            throw error
        }
        return transport
    }
}
