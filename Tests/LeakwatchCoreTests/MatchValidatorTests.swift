import Testing

@testable import LeakwatchCore

@Suite("Built-in match validators")
struct MatchValidatorTests {
    private func check(_ name: String, _ text: String) -> Bool {
        guard let validator = MatchValidator.builtins[name] else {
            Issue.record("no validator named \(name)")
            return false
        }
        return validator.isValid(Substring(text))
    }

    @Test func everyBuiltinIsRegisteredUnderItsOwnName() {
        #expect(
            Set(MatchValidator.builtins.keys) == [
                "uk-postcode-area", "pnc-id", "lat-lon", "luhn", "nhs-number", "uk-phone", "nino", "payment-card",
                "date-of-birth", "uk-vrm",
            ])
        for (name, validator) in MatchValidator.builtins {
            #expect(validator.name == name)
            #expect(!validator.summary.isEmpty)
        }
    }

    @Test(arguments: [
        "SW1A 1AA", "sw1a1aa", "LS6 2QT", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB",
        "W1A 0AX", "GIR 0AA", "gir0aa", "BT7 1NN", "ZE1 0AA", "LS6-2QT", " LS6 2QT ", "E1 6AN",
    ])
    func postcodeAccepted(_ text: String) {
        #expect(check("uk-postcode-area", text))
    }

    @Test(arguments: [
        "QQ1 1AA", "XY12 3AB", "ZZ9 9ZZ", "B4 5AM", "B4 5PM", "LS6 2QI", "LS6 QTT", "1LS 2QT",
        "LS 2QT", "LS123 4AB", "GIR 0AB", "", "LS6 2Q", "AB1C2 3DE",
    ])
    func postcodeRejected(_ text: String) {
        #expect(!check("uk-postcode-area", text))
    }

    @Test(arguments: [
        "21/1234567P", "19/48213U", "22/305511L", "79/123456T", "03/77D", "2018/4567890W",
        "21/1234567p", "21 / 1234567 P", "211234567P", "18/4567890W",
    ])
    func pncAccepted(_ text: String) {
        #expect(check("pnc-id", text))
    }

    @Test(arguments: [
        "21/1234567X", "21/1234567A", "19/48213V", "07/11", "07/11/2021", "21/0000000Z", "21/12345678P",
        "2/1234567P", "21/P", "ABC", "", "21/1234567",
    ])
    func pncRejected(_ text: String) {
        #expect(!check("pnc-id", text))
    }

    @Test(arguments: [
        "51.5007,-0.1246", "51.5007, -0.1246", "-33.8688, 151.2093", "90, 180", "53.4808,-2.2426",
        "51.5007 N, 0.1246 W", "51.5007°N 0.1246°W", "N51.5007, W0.1246", "0.0, 10.5", "51.5007 ; -0.1246",
    ])
    func latLonAccepted(_ text: String) {
        #expect(check("lat-lon", text))
    }

    @Test(arguments: [
        "0.0000, 0.0000", "0,0", "91.0, 10.0", "51.5, 181.0", "-90.5, 0.1", "51.5007 -0.1246 7",
        "51.5007", "51.5007 S, 0.1246 N", "abc, def", "", "1234.5, 1.0", "51.5007 W, 0.1246 W",
    ])
    func latLonRejected(_ text: String) {
        #expect(!check("lat-lon", text))
    }

    @Test(arguments: ["4539 3195 0343 6467", "4111111111111111", "4111-1111-1111-1111", "79927398713", "0000000018"])
    func luhnAccepted(_ text: String) {
        #expect(check("luhn", text))
    }

    @Test(arguments: ["4111111111111112", "79927398710", "0000 0000", "", "1", "4111x1111111111111"])
    func luhnRejected(_ text: String) {
        #expect(!check("luhn", text))
    }

    @Test(arguments: ["943 476 5919", "9434765919", "943-476-5919", "4010232137", "485 777 3457"])
    func nhsAccepted(_ text: String) {
        #expect(check("nhs-number", text))
    }

    @Test(arguments: [
        "943 476 5918", "9434765910", "999 123 4560", "0000000000", "1111111111", "943476591", "94347659190",
        "943 476 591A",
    ])
    func nhsRejected(_ text: String) {
        #expect(!check("nhs-number", text))
    }

    @Test(arguments: [
        ("uk-phone", "07700 900123", true), ("uk-phone", "+44 7700 900123", true),
        ("uk-phone", "+44 (0)7700 900123", true),
        ("uk-phone", "0044 7700 900123", true), ("uk-phone", "0113 496 0123", true),
        ("uk-phone", "(020) 7946 0123", true),
        ("uk-phone", "07600 123456", false), ("uk-phone", "0800 123 4567", false), ("uk-phone", "0345 123 4567", false),
        ("uk-phone", "0770 090012", false),
        ("nino", "JH 45 67 89 C", true), ("nino", "jh456789c", true), ("nino", "JH456789", true),
        ("nino", "QQ 12 34 56 A", false), ("nino", "NK 12 34 56 A", false), ("nino", "JO 12 34 56 A", false),
        ("nino", "JH 45 67 89 E", false),
        ("payment-card", "4111 1111 1111 1111", true), ("payment-card", "5500-0000-0000-0004", true),
        ("payment-card", "378282246310005", true), ("payment-card", "4111 1111 1111 1112", false),
        ("payment-card", "1234 5678 9012 3452", false),
        ("date-of-birth", "12/03/1987", true), ("date-of-birth", "DOB 12.3.87", true),
        ("date-of-birth", "12th March 1987", true),
        ("date-of-birth", "29/02/2000", true), ("date-of-birth", "29/02/2001", false),
        ("date-of-birth", "31/04/1990", false),
        ("date-of-birth", "12/03/1850", false), ("date-of-birth", "12/13/1987", false),
        ("uk-vrm", "AB12 CDE", true), ("uk-vrm", "yx68klm", true), ("uk-vrm", "L123 ABC", true),
        ("uk-vrm", "ABC 123D", true),
        ("uk-vrm", "AB00 CDE", false), ("uk-vrm", "AB01 CDE", false), ("uk-vrm", "AB99 CDE", false),
        ("uk-vrm", "LS11 5QS", false),
    ])
    func personalDataValidators(name: String, text: String, valid: Bool) {
        #expect(check(name, text) == valid, "\(name) \(text)")
    }
}
