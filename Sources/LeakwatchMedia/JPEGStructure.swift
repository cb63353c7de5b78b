/// Walks a JPEG's segments far enough to tell whether the file is whole. libjpeg decodes a JPEG
/// cut short without an error (it fills the missing rows with grey), so a truncated file must be
/// caught before it is decoded.
enum JPEGStructure {
    /// Whether the JPEG reaches its end-of-image marker after its image data.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return false }
        var position = 2
        while position + 1 < bytes.count {
            // Markers may be padded with extra 0xFF bytes.
            guard bytes[position] == 0xFF else { return false }
            var marker = bytes[position + 1]
            position += 2
            while marker == 0xFF, position < bytes.count {
                marker = bytes[position]
                position += 1
            }
            switch marker {
            case 0xD9:
                return true
            case 0xD0...0xD7, 0x01:
                continue  // Markers without a length.
            default:
                guard position + 1 < bytes.count else { return false }
                let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
                guard length >= 2 else { return false }
                position += length
                guard position <= bytes.count else { return false }
                if marker == 0xDA {
                    // Entropy-coded data follows: it ends at the first marker that is not a
                    // stuffed zero or a restart marker.
                    while position + 1 < bytes.count {
                        if bytes[position] == 0xFF {
                            let next = bytes[position + 1]
                            if next == 0x00 || (0xD0...0xD7).contains(next) || next == 0xFF {
                                position += next == 0xFF ? 1 : 2
                                continue
                            }
                            break
                        }
                        position += 1
                    }
                }
            }
        }
        return false
    }
}
