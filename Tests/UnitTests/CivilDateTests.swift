import Foundation
import Testing

@testable import SSOWatchModel
@testable import SSOWatchState

@Suite struct CivilDateTests {
    @Test func knownDates() {
        #expect(CivilDate.from(daysSinceEpoch: 0) == (1970, 1, 1))
        #expect(CivilDate.from(daysSinceEpoch: -1) == (1969, 12, 31))
        #expect(CivilDate.from(daysSinceEpoch: 11_016) == (2000, 2, 29))
        #expect(CivilDate.daysSinceEpoch(year: 2026, month: 11, day: 29) == 20_786)
    }

    @Test func roundTripsOverFourCenturies() {
        for days in stride(from: -146_097, through: 146_097, by: 37) {
            let date = CivilDate.from(daysSinceEpoch: days)
            #expect(CivilDate.daysSinceEpoch(year: date.year, month: date.month, day: date.day) == days)
        }
    }
}
