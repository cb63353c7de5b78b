/// The words WhatsApp writes into exports, per language: AM/PM markers, month names, and the
/// fixed texts of placeholders, deletions, locations and system lines. Taken from real exports
/// (see the conformance fixtures); lookups are by exact lowercased text so they stay O(1).
enum WhatsAppPhrases {
    // MARK: - Clock

    private static func table(_ entries: [(String, WhatsAppMeridiem)]) -> [(bytes: [UInt8], meridiem: WhatsAppMeridiem)]
    {
        entries.map { (Array($0.0.utf8), $0.1) }.sorted { $0.bytes.count > $1.bytes.count }
    }

    /// AM/PM written after the time (ASCII parts lowercase; spaces already normalised).
    static let meridiemSuffixes = table([
        ("am", .am), ("pm", .pm), ("a.m.", .am), ("p.m.", .pm), ("a. m.", .am), ("p. m.", .pm), ("a.m", .am),
        ("p.m", .pm),
        ("a m", .am), ("p m", .pm),
        ("in the morning", .am), ("in the afternoon", .pm), ("in the evening", .pm), ("at night", .pm),
        ("at noon", .pm),
        ("vorm.", .am), ("nachm.", .pm),
        ("sa", .am), ("ch", .pm),  // Vietnamese
        ("ص", .am), ("م", .pm),  // Arabic
        ("ق.ظ", .am), ("ب.ظ", .pm), ("ق.ظ.", .am), ("ب.ظ.", .pm),  // Persian
        ("午前", .am), ("午後", .pm), ("上午", .am), ("下午", .pm), ("오전", .am), ("오후", .pm),
        ("पूर्वाह्न", .am), ("अपराह्न", .pm),  // Hindi
        ("ก่อนเที่ยง", .am), ("หลังเที่ยง", .pm),  // Thai
        ("π.μ.", .am), ("μ.μ.", .pm),  // Greek
        ("öö", .am), ("ös", .pm),  // Turkish
        ("pg", .am), ("ptg", .pm),  // Malay
        ("fm", .am), ("em", .pm),  // Swedish
        ("de la mañana", .am), ("de la tarde", .pm), ("de la noche", .pm),
    ])

    /// Whether a byte can start a word of `table` as `WhatsAppHeaderScanner` compares them (ASCII
    /// caseless): the word's first byte, and the capital of a lowercase ASCII letter. Every byte
    /// when a word is empty.
    static func firstBytes(of table: [(bytes: [UInt8], meridiem: WhatsAppMeridiem)]) -> [Bool] {
        var starts = [Bool](repeating: false, count: 256)
        for entry in table {
            guard let first = entry.bytes.first else { return [Bool](repeating: true, count: 256) }
            starts[Int(first)] = true
            if first >= 0x61 && first <= 0x7A { starts[Int(first - 0x20)] = true }
        }
        return starts
    }

    static let meridiemSuffixFirstBytes = firstBytes(of: meridiemSuffixes)
    static let meridiemPrefixFirstBytes = firstBytes(of: meridiemPrefixes)

    /// AM/PM written before the time (`午後2:56:01`, `오후 2:56`).
    static let meridiemPrefixes = table([
        ("午前", .am), ("午後", .pm), ("上午", .am), ("下午", .pm), ("凌晨", .am), ("早上", .am), ("中午", .pm), ("晚上", .pm),
        ("오전", .am), ("오후", .pm),
    ])

    // MARK: - Months

    private static let months: [String: Int] = {
        let names: [[String]] = [
            [
                "jan", "january", "janv", "janvier", "januar", "jänner", "ene", "enero", "gen", "gennaio", "janeiro",
                "januari",
            ],
            [
                "feb", "february", "févr", "fevr", "février", "februar", "febrero", "febbraio", "fev", "fevereiro",
                "februari",
            ],
            ["mar", "march", "mars", "märz", "mär", "marzo", "março", "maart", "maret", "mrt"],
            ["apr", "april", "avr", "avril", "abr", "abril", "aprile"],
            ["may", "mai", "mayo", "mag", "maggio", "maio", "mei"],
            ["jun", "june", "juin", "juni", "junio", "giu", "giugno", "junho"],
            ["jul", "july", "juil", "juillet", "juli", "julio", "lug", "luglio", "julho"],
            ["aug", "august", "août", "aout", "ago", "agosto", "agustus", "augustus"],
            ["sep", "sept", "september", "septembre", "septiembre", "set", "settembre", "setembro"],
            ["oct", "october", "octobre", "okt", "oktober", "octubre", "ott", "ottobre", "out", "outubro"],
            ["nov", "november", "novembre", "noviembre", "novembro"],
            [
                "dec", "december", "déc", "décembre", "dez", "dezember", "dic", "diciembre", "dicembre", "dezembro",
                "des", "desember",
            ],
        ]
        var map: [String: Int] = [:]
        for (index, list) in names.enumerated() {
            for name in list { map[name] = index + 1 }
        }
        return map
    }()

    /// The month number for a month name or abbreviation (case-insensitive), if known.
    static func month(named bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count <= 12 else { return nil }
        return months[String(decoding: bytes, as: UTF8.self).lowercased()]
    }

    // MARK: - Bodies

    private static func set(_ phrases: [String]) -> Set<String> { Set(phrases.map { $0.lowercased() }) }

    /// Which of the tables bodies are looked up in by key hold a phrase key.
    struct BodyPhraseKinds: OptionSet, Sendable {
        let rawValue: UInt8
        static let deleted = BodyPhraseKinds(rawValue: 1 << 0)
        static let omittedMedia = BodyPhraseKinds(rawValue: 1 << 1)
        static let omittedContact = BodyPhraseKinds(rawValue: 1 << 2)
        static let androidOmitted = BodyPhraseKinds(rawValue: 1 << 3)
        static let liveLocation = BodyPhraseKinds(rawValue: 1 << 4)
    }

    /// The tables a phrase key is in: one lookup (one hash of the key) for all of them.
    static func kinds(of key: String) -> BodyPhraseKinds {
        key.isEmpty ? [] : bodyPhraseKinds[key] ?? []
    }

    private static let bodyPhraseKinds: [String: BodyPhraseKinds] = {
        var kinds: [String: BodyPhraseKinds] = [:]
        let tables: [(Set<String>, BodyPhraseKinds)] = [
            (deleted, .deleted), (omittedMedia, .omittedMedia), (omittedContact, .omittedContact),
            (androidOmitted, .androidOmitted), (liveLocation, .liveLocation),
        ]
        for (table, kind) in tables {
            for phrase in table { kinds[phrase, default: []].insert(kind) }
        }
        return kinds
    }()

    /// Every non-ASCII scalar of the body phrases (`WhatsAppUTF8.isNoPhraseKey` looks for one that
    /// is not among them).
    static let bodyPhraseScalars: Set<UInt32> = Set(
        bodyPhrases.flatMap { $0.unicodeScalars.filter { !$0.isASCII }.map(\.value) })
    /// Every body phrase, of all the tables.
    static var bodyPhrases: Dictionary<String, BodyPhraseKinds>.Keys { bodyPhraseKinds.keys }

    /// FNV-1a digests of the phrase keys of the tables bodies are looked up in by key: a first
    /// line whose key has another digest is none of them (no key to make, no lookups).
    static let bodyKeyDigests: Set<UInt64> = Set(
        bodyPhraseKinds.keys.map { phrase in
            var digest = FNV1a()
            digest.add(phrase.utf8)
            return digest.value
        })

    /// Deleted-message texts, lowercased, without the final full stop.
    static let deleted = set([
        "This message was deleted", "You deleted this message",
        "Diese Nachricht wurde gelöscht", "Du hast diese Nachricht gelöscht",
        "Ce message a été supprimé", "Vous avez supprimé ce message",
        "Se eliminó este mensaje", "Eliminaste este mensaje", "Este mensaje fue eliminado", "Eliminaste este mensaje",
        "Questo messaggio è stato eliminato", "Hai eliminato questo messaggio",
        "Esta mensagem foi apagada", "Apagou esta mensagem", "Você apagou esta mensagem", "Mensagem apagada",
        "Данное сообщение удалено", "Вы удалили данное сообщение", "Это сообщение удалено", "Вы удалили это сообщение",
        "Це повідомлення було видалено", "Ви видалили це повідомлення",
        "Tato zpráva byla smazána", "Tuto zprávu jste smazal/a", "Tato zpráva byla odstraněna",
        "Tuto zprávu jste odstranil/a",
        "Dit bericht is verwijderd", "U hebt dit bericht verwijderd", "Je hebt dit bericht verwijderd",
        "تم حذف هذه الرسالة", "لقد حذَفت هذه الرسالة", "لقد حذفت هذه الرسالة", "أنت حذفت هذه الرسالة",
        "यह मैसेज डिलीट कर दिया गया है", "आपने यह मैसेज डिलीट किया",
        "Pesan ini dihapus", "Anda menghapus pesan ini",
        "このメッセージは削除されました", "このメッセージを削除しました",
        "ข้อความนี้ถูกลบแล้ว", "คุณได้ลบข้อความนี้",
        "Tin nhắn này đã bị xóa", "Tin nhắn này đã bị xoá", "Bạn đã xoá tin nhắn này", "Bạn đã xóa tin nhắn này",
        "Bu mesaj silindi", "Bu mesajı sildiniz",
        "Ta wiadomość została usunięta", "Usunięto tę wiadomość",
    ])

    /// iOS placeholders for media left out of the export (`image omitted`), lowercased.
    static let omittedMedia = set([
        "image omitted", "video omitted", "audio omitted", "sticker omitted", "GIF omitted", "document omitted",
        "Bild weggelassen", "Video weggelassen", "Audio weggelassen", "Sticker weggelassen", "GIF weggelassen",
        "Dokument weggelassen",
        "image absente", "vidéo absente", "audio omis", "sticker omis", "GIF retiré", "document manquant",
        "imagen omitida", "Video omitido", "audio omitido", "sticker omitido", "GIF omitido", "documento omitido",
        "immagine omessa", "video omesso", "audio omesso", "sticker non incluso", "GIF esclusa", "documento omesso",
        "imagem não revelada", "vídeo não revelado", "ficheiro de áudio não revelado", "sticker não revelado",
        "GIF não revelada", "documento não revelado", "imagem ocultada", "vídeo ocultado", "áudio ocultado",
        "figurinha omitida", "documento ocultado",
        "изображение отсутствует", "видео отсутствует", "аудиофайл отсутствует", "стикер не добавлен",
        "GIF отсутствует",
        "документ отсутствует",
        "зображення відсутнє", "відео відсутнє", "аудіо відсутнє", "Наклейку не додано", "GIF-анімацію пропущено",
        "документ пропущено",
        "obrázek vynechán", "video vynecháno", "zvukový soubor vynechán", "nálepka vynechána", "GIF vynechán",
        "dokument vynechán",
        "afbeelding weggelaten", "video weggelaten", "audio weggelaten", "sticker weggelaten", "GIF weggelaten",
        "document weggelaten",
        "لم يتم إدراج الصورة", "لم يتم إدراج الفيديوهات", "لم يتم إدراج المقاطع الصوتية", "تم حذف الملصقات",
        "لم يتم إدراج صورة GIF", "لم يتم إدراج المستند",
        "फ़ोटो हटाई गई", "वीडियो छोड़ा गया", "ऑडियो हटाई गयी", "स्टिकर छोड़ा गया", "GIF छोड़ा गया", "डॉक्यूमेंट छोड़ा गया",
        "gambar tidak disertakan", "video tidak disertakan", "audio tidak disertakan", "stiker tidak disertakan",
        "GIF tidak disertakan", "dokumen tidak disertakan",
        "画像は含まれていません", "ビデオは含まれていません", "音声は含まれていません", "スタンプは含まれていません",
        "GIFは含まれていません", "ドキュメントは含まれていません",
        "ไม่มีรูปภาพ", "วิดีโอถูกลบ", "ไม่มีไฟล์เสียง", "ไม่มีสติกเกอร์", "ละเว้น GIF", "ละเว้นเอกสาร",
        "đã bỏ qua hình ảnh", "đã bỏ video", "bỏ qua tệp âm thanh", "đã bỏ sticker", "Đã bỏ qua ảnh GIF",
        "đã bỏ qua tài liệu",
        "görüntü dahil edilmedi", "video dahil edilmedi", "ses dahil edilmedi", "çıkartma dahil edilmedi",
        "pominięto obraz", "pominięto wideo", "pominięto plik audio", "pominięto naklejkę",
    ])

    /// iOS placeholders for a contact card left out of the export, lowercased.
    static let omittedContact = set([
        "Contact card omitted", "Kontaktkarte ausgelassen", "Fiche contact manquante", "Tarjeta de contacto omitida",
        "Scheda contatto omessa", "Contacto não revelado", "Cartão de contato omitido", "Карточка контакта отсутствует",
        "Картка контакту відсутня", "Vizitka vynechána", "Contactkaart weggelaten", "لم يتم إدراج بطاقة جهة اتصال",
        "कॉन्टैक्ट कार्ड छोड़ा गया", "Kartu kontak tidak disertakan", "連絡先カードを省略", "บัตรรายชื่อที่ละเว้น",
        "Bỏ qua thẻ liên lạc",
    ])

    /// Android placeholders for media left out (`<Media omitted>`), lowercased, with the brackets.
    static let androidOmitted = set([
        "<Media omitted>", "<Medien ausgeschlossen>", "<Média vynechány>", "<Без медиафайлов>", "<Media weggelaten>",
        "<Multimedia omitido>", "<Archivo omitido>", "<Médias omis>", "<Media omessi>", "<Mídia oculta>",
        "<Arquivo de mídia oculto>", "<Ficheiro multimédia omitido>", "<Medya dahil edilmedi>",
        "<Pominięto multimedia>",
        "<Media tidak disertakan>", "<Media dihilangkan>", "<Без медіафайлів>", "<Медіафайл пропущено>",
        "<Média omitido>",
        "<تم استبعاد الوسائط>", "<मीडिया छोड़ दिया गया>", "<ไม่รวมสื่อ>", "<Đã bỏ qua tệp phương tiện>", "<メディアなし>",
        "<Media omesso>", "<Médias omis>", "<Média omis>",
    ])

    /// Android `(file attached)` labels, lowercased, without the parentheses.
    static let androidAttachedLabels = set([
        "file attached", "Datei angehängt", "archivo adjunto", "fichier joint", "file allegato", "arquivo anexado",
        "ficheiro anexado", "файл добавлен", "файл додано", "soubor byl přiložen", "bestand bijgevoegd", "dosya ekli",
        "plik załączony", "fișier atașat", "tệp đính kèm", "fail dilampirkan", "file terlampir", "ملف مرفق",
        "फ़ाइल संलग्न है", "ไฟล์แนบ", "ファイル添付", "adjunto",
    ])

    /// iOS `<attached: name>` labels, lowercased, without the colon.
    static let iosAttachedLabels = set([
        "attached", "Anhang", "pièce jointe", "adjunto", "archivo adjunto", "allegato", "anexo", "вложение", "příloha",
        "bijlage", "ek", "ekli", "załącznik", "прикріплено", "файл", "lampiran", "添付ファイル", "添付", "مرفق", "संलग्न",
        "ไฟล์แนบ",
        "tệp đính kèm",
    ])

    /// Edited-message markers WhatsApp appends to a body.
    static let editedMarkers: [String] = [
        "<This message was edited>", "<Diese Nachricht wurde bearbeitet>", "<Ce message a été modifié>",
        "<Se editó este mensaje.>", "<Se editó este mensaje>", "<Questo messaggio è stato modificato>",
        "<Esta mensagem foi editada>", "<Mensagem editada>", "<Сообщение изменено>", "<Это сообщение было изменено>",
        "<Dit bericht is bewerkt>", "<Zpráva byla upravena>", "<Pesan ini telah diedit>", "<Bu mesaj düzenlendi>",
    ]

    /// Live-location texts (no coordinates), lowercased, without the final full stop.
    static let liveLocation = set([
        "live location shared", "Live-Standort wird geteilt", "Position en direct partagée",
        "Ubicación en tiempo real compartida",
        "Posizione in tempo reale condivisa", "Localização em tempo real partilhada",
        "Localização em tempo real compartilhada",
        "Геоданные транслируются", "Трансляция геоданных", "Živá poloha sdílena", "Live locatie gedeeld",
    ])

    /// Poll headers and option prefixes (`POLL:` / `OPTION:`), as written.
    static let pollHeaders = [
        "POLL:", "UMFRAGE:", "SONDAGE :", "SONDAGE:", "ENCUESTA:", "SONDAGGIO:", "ENQUETE:", "ОПРОС:",
    ]
    /// The first UTF-8 byte of each poll header: a line starting with another byte is no poll.
    static let pollHeaderFirstBytes: Set<UInt8> = Set(pollHeaders.compactMap { $0.utf8.first })
    /// The UTF-8 of each poll header, in the order of `pollHeaders`.
    static let pollHeaderBytes: [[UInt8]] = pollHeaders.map { Array($0.utf8) }
    static let pollOptions = ["OPTION:", "OPTION :", "OPCIÓN:", "OPZIONE:", "OPÇÃO:", "ВАРИАНТ:"]

    /// Fragments that mark a line as written by the app (lowercased): used for lines whose text
    /// could also be read as `Name: body`, and for iOS lines that carry the chat name as sender.
    static let systemFragments: [String] = [
        // Encryption notices
        "end-to-end encrypted", "now secured with end-to-end encryption", "ende-zu-ende-verschlüsselt",
        "chiffrés de bout en bout", "cifrados de extremo a extremo", "crittografati end-to-end",
        "encriptadas ponto a ponto",
        "criptografadas de ponta a ponta", "сквозным шифрованием", "наскрізним шифруванням", "koncovým šifrováním",
        "end-to-end versleuteld", "مشفرة تمامًا", "एंड-टू-एंड एन्क्रिप्टेड", "terenkripsi secara end-to-end",
        "エンドツーエンド暗号化", "เข้ารหัส", "mã hóa đầu cuối", "uçtan uca şifreli", "szyfrowaniem end-to-end",
        // Security codes
        "security code", "sicherheitsnummer", "code de sécurité", "código de seguridad", "codice di sicurezza",
        "código de segurança", "код безопасности", "код безпеки", "bezpečnostní kód", "beveiligingscode", "رمز أمان",
        "सुरक्षा कोड", "kode keamanan", "セキュリティコード", "รหัสความปลอดภัย", "mã bảo mật", "güvenlik kodu",
        // Group events
        "created group", " added ", " removed ", " left", "joined using", "changed the subject", "changed the group",
        "changed this group", "changed their phone number", "changed to", "was added", "you're now an admin",
        "hinzugefügt", "entfernt", "hat die gruppe", "gruppe verlassen", "beigetreten", "gruppenbild", "gruppennamen",
        "a ajouté", "a retiré", "est parti", "a créé le groupe", "añadió", "eliminó a", "salió", "creó el grupo",
        "ha aggiunto", "ha rimosso", "è uscito", "adicionou", "removeu", "saiu", "добавил", "удалил", "вышел",
        "přidal", "odebral", "odešel",
    ]

    /// The ASCII `systemFragments` as bytes: in an ASCII key (one byte per `Character`) only these
    /// can occur, and they occur exactly where their bytes do.
    static let asciiSystemFragments: [[UInt8]] = systemFragments.filter { $0.utf8.allSatisfy { $0 < 0x80 } }.map {
        Array($0.utf8)
    }
}
