import Foundation
import LeakwatchTestSupport
import Testing

/// Writes the four-phone chat to `LEAKWATCH_WRITE_FIXTURES` when set (to look at it by hand).
@Test(.enabled(if: ProcessInfo.processInfo.environment["LEAKWATCH_WRITE_FIXTURES"] != nil))
func writeFourPhoneChatForInspection() throws {
    let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["LEAKWATCH_WRITE_FIXTURES"]!)
    try FourPhoneChat.write(to: directory)
    try Data(FourPhoneChat.otherChat()).write(to: directory.appendingPathComponent(FourPhoneChat.otherChatFileName))
}
