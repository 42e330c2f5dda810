import Foundation
import SSOWatchModel

/// Parses the three date formats HTTP allows in `Retry-After` (RFC 9110 §5.6.7): IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and
/// asctime (`Sun Nov  6 08:49:37 1994`). Always GMT; no `DateFormatter`, so no locale involved.
enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The date, or `nil` when the text is none of the three formats.
    static func parse(_ text: String) -> Date? {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" || $0 == "\t" })
        var month: Int?
        var time: [Int]?
        var numbers: [Substring] = []
        for token in tokens {
            if let index = months.firstIndex(of: token.lowercased()) {
                month = index + 1
            } else if token.contains(":") {
                let parts = token.split(separator: ":").compactMap { Int($0) }
                guard parts.count == 3 else { return nil }
                time = parts
            } else if token.allSatisfy(\.isNumber) {
                numbers.append(token)
            }
        }
        // In all three formats the day comes before the year.
        guard let month, let time, numbers.count == 2 else { return nil }
        let (dayText, yearText) = (numbers[0], numbers[1])
        guard let day = Int(dayText), var year = Int(yearText), (1...31).contains(day),
            [2, 4].contains(yearText.count),
            (0...23).contains(time[0]), (0...59).contains(time[1]), (0...60).contains(time[2])
        else { return nil }
        if yearText.count == 2 { year += year < 70 ? 2000 : 1900 }
        return Date(
            timeIntervalSince1970: TimeInterval(
                CivilDate.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + time[0] * 3600 + time[1] * 60
                    + time[2]))
    }
}
