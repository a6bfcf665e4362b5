"""`problem.*`: what a problem in a partner's file says, keyed by its code (see `interchange.contract.problems`).

Codes are part of the receipt contract: add new ones, never rename or reuse one. Every text is a
template over parameters that name columns, expected formats, counts and row numbers, never the
offending value itself, because that value may be a personal code or a name.
"""

TEXT: dict[str, tuple[str, str]] = {
    # whole file
    "file.missing": ("Failas nerastas.", "The file does not exist."),
    "file.empty": ("Failas tuščias: nėra nei antraštės, nei eilučių.",
                   "The file is empty: no header and no rows."),
    "file.no_rows": ("Faile yra antraštė, bet nėra duomenų eilučių.",
                     "The file has a header but no data rows."),
    "file.format": ("Nepalaikomas failo formatas „{suffix}“: tinka .csv, .xlsx, .jsonl.",
                    "Unsupported file format '{suffix}': use .csv, .xlsx or .jsonl."),
    "file.encoding": (
        "Failo nepavyko perskaityti nei kaip UTF-8, nei kaip Windows-1257 (pirmas netinkamas "
        "baitas {line} eilutėje).",
        "The file is neither UTF-8 nor Windows-1257 (first undecodable byte on line {line}).",
    ),
    "file.unreadable": ("Failo nepavyko atidaryti kaip {format}: {reason}.",
                        "The file could not be opened as {format}: {reason}."),
    "file.unsafe": ("Failas atmestas kaip nesaugus: {reason}.",
                    "The file was rejected as unsafe: {reason}."),
    "file.too_large": ("Failas per didelis: {size} baitų, leidžiama ne daugiau kaip {limit}.",
                       "The file is too large: {size} bytes, at most {limit} allowed."),
    # header
    "header.missing": ("Trūksta privalomo stulpelio „{column}“ ({column_en}).",
                       "Required column '{column_en}' ({column}) is missing."),
    "header.unknown": (
        "{position} stulpelio nėra sutartyje: jo duomenys neperkelti. Tinkami stulpeliai išvardyti "
        "šablone; jei tai jūsų sistemos pavadinimas vienam iš jų, susiekite jį su --columns "
        "(pirmą atitikmenų failą sukuria „interchange columns suggest“).",
        "Column {position} is not in the contract: its data was not copied. The template lists the valid "
        "columns; if this is your system's name for one of them, map it with --columns "
        "('interchange columns suggest' writes a first mapping).",
    ),
    "header.duplicate": ("Stulpelis „{field}“ nurodytas daugiau nei kartą (stulpeliai {columns}).",
                         "Column '{field}' appears more than once (columns {columns})."),
    "header.blank": ("Antraštėje yra tuščias stulpelio pavadinimas ({position} stulpelis).",
                     "The header has a blank column name (column {position})."),
    "header.identifier": (
        "Stulpelis „{column}“ yra tiesioginis identifikatorius (asmens kodas ar vardas) ir "
        "negali būti perduodamas: pirmiausia paleiskite „interchange pseudonymise“.",
        "Column '{column}' is a direct identifier (personal code or name) and must not be "
        "sent: run 'interchange pseudonymise' first.",
    ),
    "header.personal_code": (
        "{position} stulpelio pavadinimas atrodo kaip asmens kodas: greičiausiai trūksta antraštės "
        "eilutės, o faile yra asmens kodų. Siųskite failą su antrašte, sukurtą „interchange pseudonymise“.",
        "The name of column {position} looks like a personal code: the header row is probably "
        "missing and the file holds personal codes. Send the file made by 'interchange pseudonymise', "
        "with its header.",
    ),
    # one row as read
    "row.cells": ("Eilutėje yra {found} langelių, o antraštėje {expected}.",
                  "The row has {found} cells but the header has {expected}."),
    "row.json": ("Eilutė nėra JSON objektas: {reason}.", "The line is not a JSON object: {reason}."),
    "row.encoding": ("Langelyje yra baitų, kurių nepavyko perskaityti kaip {encoding}.",
                     "The cell holds bytes that are not valid {encoding}."),
    "row.blank": ("Tuščia eilutė praleista.", "Blank row skipped."),
    # one value
    "value.required": ("Privaloma reikšmė nenurodyta.", "A value is required."),
    "value.integer": ("Turi būti sveikasis skaičius.", "Expected a whole number."),
    "value.number": ("Turi būti skaičius.", "Expected a number."),
    "value.boolean": ("Turi būti „taip“ arba „ne“ (arba true/false, 1/0).",
                      "Expected yes or no (taip/ne, true/false, 1/0)."),
    "value.date": ("Turi būti data formatu MMMM-MM-DD.", "Expected a date as YYYY-MM-DD."),
    "value.choice": ("Reikšmė nėra iš sąrašo: {expected}.", "The value is not one of: {expected}."),
    "value.too_small": ("Reikšmė turi būti ne mažesnė kaip {limit}.", "The value must be at least {limit}."),
    "value.too_large": ("Reikšmė turi būti ne didesnė kaip {limit}.", "The value must be at most {limit}."),
    "value.too_long": ("Reikšmė per ilga: ne daugiau kaip {limit} simbolių.",
                       "The value is too long: at most {limit} characters."),
    "value.format": ("Netinkamas formatas: {expected}.", "Wrong format: expected {expected}."),
    "value.future": ("Data ar metai negali būti ateityje.", "The date or year cannot be in the future."),
    "value.order": ("„{column}“ negali būti ankstesnė nei „{other}“.",
                    "'{column}' cannot be earlier than '{other}'."),
    "value.unknown_service": (
        "Nežinomas paslaugos kodas: tinkami kodai yra paslaugų kataloge {version}.",
        "Unknown service code: the valid codes are in service catalogue {version}.",
    ),
    "value.unknown_municipality": (
        "Nežinoma savivaldybė: nurodykite kodą LT-01…LT-60 arba oficialų pavadinimą.",
        "Unknown municipality: give a code LT-01…LT-60 or the official name.",
    ),
    "value.sex_ambiguous": (
        "Lytis „M“ ar „V“ dviprasmiška (M = moteris ar male?): rašykite „moteris“/„vyras“ "
        "arba female/male.",
        "Sex 'M' or 'V' is ambiguous (M = moteris or male?): write female/male or "
        "moteris/vyras.",
    ),
    "value.personal_code": (
        "Reikšmė atrodo kaip asmens kodas: asmens kodai negali būti perduodami.",
        "The value looks like a personal code: personal codes must not be sent.",
    ),
    "value.duplicate_id": ("Įrašo_id kartojasi: jis jau buvo {first_row} eilutėje.",
                           "The record_id repeats: it was first used on row {first_row}."),
    "value.invalid": ("Netinkama reikšmė: {expected}.", "Invalid value: {expected}."),
    "value.needs_one_of": ("Turi būti nurodytas bent vienas iš: {columns}.",
                           "At least one of these is required: {columns}."),
    # personal codes (asmens kodai) on the partner's machine
    "code.format": ("Asmens kodas turi būti 11 skaitmenų; kodas praleistas.",
                    "A personal code must be 11 digits; the code was left out."),
    "code.century": ("Asmens kodo pirmas skaitmuo turi būti 1–6; kodas praleistas.",
                     "A personal code must start with 1–6; the code was left out."),
    "code.birth_date": ("Asmens kode užkoduota neegzistuojanti gimimo data; kodas praleistas.",
                        "The personal code holds an impossible birth date; the code was left out."),
    "code.future": ("Asmens kode užkoduota gimimo data ateityje; kodas praleistas.",
                    "The personal code holds a birth date in the future; the code was left out."),
    "code.checksum": ("Asmens kodo kontrolinis skaičius neteisingas (galima rašybos klaida); "
                      "kodas praleistas.",
                      "The personal code's check digit is wrong (probably a typo); the code "
                      "was left out."),
    "code.conflict": ("„{column}“ nesutampa su asmens kodu; naudojama reikšmė iš asmens kodo.",
                      "'{column}' disagrees with the personal code; the value from the code "
                      "was used."),
    "identity.none": (
        "Nėra nei galiojančio asmens kodo, nei vardo, pavardės ar gimimo datos: asmens nebus "
        "galima susieti su kitų organizacijų įrašais.",
        "No valid personal code and no name or birth date: this person cannot be linked to "
        "other organisations' records.",
    ),
    "identity.birth_date": ("Gimimo data netinkama ar ateityje; ji praleista.",
                            "The birth date is invalid or in the future; it was left out."),
    "kind.unknown": (
        "Nepavyko nustatyti įrašų rūšies iš antraštės: nurodykite --kind ({kinds}).",
        "The record kind could not be told from the header: give --kind ({kinds}).",
    ),
    # key file
    "key.missing": ("Rakto failas nerastas.", "The key file does not exist."),
    "key.empty": ("Rakto failas tuščias.", "The key file is empty."),
    "key.format": ("Rakto faile turi būti šešioliktainis raktas (kurkite jį „interchange keygen“).",
                   "The key file must hold a hexadecimal key (make one with 'interchange keygen')."),
    "key.too_short": ("Raktas per trumpas: {bits} bitų, reikia bent {minimum}.",
                      "The key is too short: {bits} bits, at least {minimum} needed."),
    # manifest
    "manifest.unreadable": ("Manifesto nepavyko perskaityti: {reason}.",
                            "The manifest could not be read: {reason}."),
    "manifest.sha256": ("Failo SHA-256 nesutampa su manifestu: failas pakeistas ar neišsiųstas iki galo.",
                        "The file's SHA-256 differs from the manifest: the file was changed or cut short."),
    "manifest.row_count": ("Manifeste nurodyta {expected} eilučių, faile rasta {found}.",
                           "The manifest declares {expected} rows, the file has {found}."),
    "manifest.kind": ("Manifeste nurodyta rūšis „{expected}“, o patikrinta „{found}“.",
                      "The manifest declares kind '{expected}' but '{found}' was checked."),
    "manifest.schema_version": (
        "Failas sukurtas pagal schemos versiją {found}, o ši programa naudoja {expected}.",
        "The file was made for schema version {found}; this program uses {expected}.",
    ),
    # the hub's inbox and loading
    "file.duplicate": (
        "Šis failas (tie patys baitai) jau buvo gautas ir įkeltas (paketas {batch}): niekas nepakeista.",
        "This file (the same bytes) was already received and loaded (batch {batch}): nothing changed.",
    ),
    "file.link": ("Gautoji vieta yra nuoroda (symlink), o ne failas: ji neskaitoma.",
                  "The drop is a link (symlink), not a file: it is not read."),
    "file.kind": (
        "Nepavyko nustatyti įrašų rūšies: pavadinkite failą <organizacija>.<rūšis>.csv ({kinds}) "
        "arba pridėkite manifestą.",
        "The record kind could not be told: name the file <org>.<kind>.csv ({kinds}) or add its manifest.",
    ),
    "file.identifiers_purged": (
        "Failas su tiesioginiais identifikatoriais centre nesaugomas: jo kopija ištrinta.",
        "A file with direct identifiers is not kept at the hub: its copy was deleted.",
    ),
    "manifest.org": ("Manifeste nurodyta organizacija „{expected}“, o failas gautas iš „{found}“.",
                     "The manifest names organisation '{expected}' but the file came from '{found}'."),
    "delete.unknown": ("Įrašas, kurį prašoma ištrinti, centre nežinomas: nieko netrinta.",
                       "The record to delete is not known at the hub: nothing was deleted."),
    "row.superseded": (
        "Šio įrašo naujesnė versija gauta vėliau (paketas {batch}): pakartotinai apdorojant failą eilutė "
        "neįkelta.",
        "A newer version of this record arrived later (batch {batch}): the row was not loaded when the "
        "file was processed again.",
    ),
    "pull.duplicate_id": (
        "Įrašas per vieną atsisiuntimą gautas {times} kartus: įkelta paskutinė versija.",
        "The record came {times} times in one pull: its last version was loaded.",
    ),
    # partner HTTP API (the hub pulls records); no message quotes a response body or a token
    "http.unauthorized": (
        "Partnerio API atmetė prieigos žetoną (HTTP 401 arba 403): patikrinkite, ar konfigūracijoje "
        "nurodytas žetonas nustatytas, teisingas ir nepasibaigęs.",
        "The partner API refused the access token (HTTP 401 or 403): check that the token named in "
        "the configuration is set, correct and not expired.",
    ),
    "http.not_found": (
        "Partnerio API adresas nerastas (HTTP 404): konfigūracijoje nurodytas netinkamas adresas.",
        "The partner API endpoint was not found (HTTP 404): the address in the configuration is wrong.",
    ),
    "http.unavailable": (
        "Partnerio API nepasiekiama: serverio ar ryšio klaida arba baigėsi laukimo laikas "
        "(bandymų skaičius: {attempts}).",
        "The partner API is unavailable: server error, connection error or timeout after {attempts} "
        "attempts.",
    ),
    "http.bad_response": ("Partnerio API atsakymas netinkamas: {reason}.",
                          "The partner API sent an invalid response: {reason}."),
    "http.token_missing": (
        "Prieigos žetonas nerastas: aplinkos kintamasis „{variable}“ nenustatytas arba tuščias.",
        "No access token: the environment variable '{variable}' is not set or is empty.",
    ),
    "http.token_invalid": (
        "Prieigos žetonas ({place}) netinkamas: jame turi būti tik spausdinami ASCII simboliai be tarpų.",
        "The access token ({place}) is unusable: it must be printable ASCII without spaces.",
    ),
    "http.token_block": (
        "Prieigos žetonas laikomas Prefect Secret bloke „{block}“, kurį skaito tik Prefect srautas "
        "(„interchange ingest“).",
        "The access token is in the Prefect Secret block '{block}', which only the Prefect flow reads "
        "('interchange ingest').",
    ),
    "http.client_error": (
        "Partnerio API atmetė užklausą (HTTP {status}): patikrinkite konfigūraciją.",
        "The partner API rejected the request (HTTP {status}): check the configuration.",
    ),
    "consent.none": (
        "Nė vienas iš {count} asmenų šiame faile nesutiko būti įtrauktas į ataskaitas (stulpelio "
        "„sutikimas_ataskaitoms“ nėra, jis tuščias arba jame „ne“): pagal numatytąją centro taisyklę tokie asmenys "
        "į skelbiamus rodiklius neįtraukiami.",
        "None of the {count} persons in this file consents to reporting (the column "
        "'sutikimas_ataskaitoms' is missing, empty or says no): under the hub's default rule such persons are "
        "left out of the published figures.",
    ),
    # issue 16 (nothing stuck): the hub failed on the file, not the partner
    "batch.failed": (
        "Centras negalėjo apdoroti šio failo (paketas {batch}): nieko neįkelta. Tai ne jūsų klaida – centro "
        "darbuotojai informuoti ir apdoros failą iš naujo, kai pataisys; siųsti jo dar kartą nereikia.",
        "The hub could not process this file (batch {batch}): nothing was loaded. This is not your error: the "
        "hub's staff have been told and will process the file again after a fix; there is no need to send it again.",
    ),
    # hostile values and bounded reading (issue 16 §3)
    "value.control_character": (
        "Reikšmėje yra valdymo ar nematomas simbolis {character} (pvz., NUL, eilutės lūžis identifikatoriuje): "
        "eilutė neperkelta.",
        "The value holds a control or invisible character {character} (such as NUL, or a line break in an "
        "identifier): the row was not loaded.",
    ),
    "file.line_too_long": (
        "{line} eilutė ilgesnė nei {limit} simbolių: failas neskaitomas toliau.",
        "Line {line} is longer than {limit} characters: the file is not read further.",
    ),
    "file.too_many_columns": (
        "Antraštėje yra {found} stulpelių, leidžiama ne daugiau kaip {limit}.",
        "The header has {found} columns, at most {limit} allowed.",
    ),
    "file.unpacked_too_large": (
        "Darbaknygės dalis „{part}“ išpakuota užima {size} baitų, leidžiama ne daugiau kaip {limit}.",
        "The workbook's part '{part}' unpacks to {size} bytes, at most {limit} allowed.",
    ),
    # issue 16: file names the hub does not take as they are
    "file.name": (
        "Failo pavadinimas netinka, todėl failas neskaitytas ir nesaugomas: pavadinimas turi būti UTF-8 "
        "koduotės, be valdymo simbolių (tabuliacijos, naujos eilutės, ESC ir pan.) ir ne ilgesnis kaip {limit} "
        "baitų. Tinka raidės (ir lietuviškos), skaitmenys, tarpai, taškai, brūkšneliai ir pabraukimai, "
        "pvz. kretingos-spc.person.csv. Pervadinkite failą ir atsiųskite jį dar kartą.",
        "The file name is not accepted, so the file was neither read nor kept: a name must be UTF-8, "
        "hold no control characters (tab, newline, ESC and the like) and be at most {limit} bytes long. "
        "Letters (Lithuanian ones too), digits, spaces, dots, dashes and underscores are fine, "
        "e.g. kretingos-spc.person.csv. Rename the file and send it again.",
    ),
    # personal data stays with the partner (issue 16 §4)
    "file.no_header": (
        "Antraštės eilutė atrodo kaip duomenų įrašas (vardai, datos, kodai): greičiausiai failas išsiųstas be "
        "antraštės eilutės. Centre jis nesaugomas; siųskite failą su antrašte, sukurtą „interchange pseudonymise“.",
        "The header row looks like a record (names, dates, codes): the file was probably sent without its "
        "header row. The hub does not keep it; send the file made by 'interchange pseudonymise', with its header.",
    ),
    "file.personal_codes": (
        "{count} reikšmės(-ių) {rows} eilutėse atrodo kaip asmens kodai (eilutė:stulpelis {cells}): asmens kodai "
        "negali būti perduodami jokiame stulpelyje, net pastabose. Centras tokio failo nepriima ir jo nesaugo.",
        "{count} values in {rows} rows look like personal codes (row:column {cells}): personal codes must not be "
        "sent in any column, notes included. The hub refuses such a file whole and keeps no copy of it.",
    ),
    "file.columns_stripped": (
        "Centras saugo tik tai, ką įkėlė: neįkelti stulpeliai ({columns}) ir {nested} įdėtinės(-ių) reikšmės(-ių) "
        "pašalinti iš archyvuotos failo kopijos (failo SHA-256 išsaugotas).",
        "The hub keeps only what it loaded: the columns not loaded ({columns}) and {nested} nested values were "
        "removed from the archived copy of the file (the file's SHA-256 is kept).",
    ),
}
