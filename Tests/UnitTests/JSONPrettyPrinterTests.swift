import Foundation
import Testing

@testable import SSOWatchModel

/// `connectors --json` and `poll --json` print JSON as received, indented (docs/COMMANDS.md).
@Suite struct JSONPrettyPrinterTests {
    @Test func indentsSortsKeysAndKeepsEveryValue() throws {
        let compact = #"{"b":[1,2.5e3,{"y":null,"x":"a\/b\u00e9"}],"a":{},"c":[],"d":true}"#
        let printed = try JSONByteReader.prettyPrinted(Array(compact.utf8))
        #expect(
            printed == """
                {
                  "a" : {},
                  "b" : [
                    1,
                    2.5e3,
                    {
                      "x" : "a/bé",
                      "y" : null
                    }
                  ],
                  "c" : [],
                  "d" : true
                }
                """)
        // The oracle: Foundation reads the same values from both.
        let before = try JSONSerialization.jsonObject(with: Data(compact.utf8)) as? NSDictionary
        let after = try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? NSDictionary
        #expect(before != nil && before == after)
    }

    @Test func refusesWhatIsNotJSON() {
        #expect(throws: JSONReadError.self) { try JSONByteReader.prettyPrinted(Array("{\"a\":}".utf8)) }
    }
}
