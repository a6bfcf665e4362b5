"""Control characters, BOMs and UTF-16 in partners' files, through the real inbox ingest on SQLite and
PostgreSQL: the bad row is quarantined with a code that names the character, never the value, and
the rest of the file loads (issue 16 §3). On PostgreSQL a NUL used to raise DataError and leave the
batch `received` for ever."""

from __future__ import annotations

from pathlib import Path

from drop_kit import (
    PERSON_HEADER,
    batch_rows,
    counts,
    drop,
    ingest,
    only_receipt,
    person_rows,
    problems,
    records,
    table_text,
)

from interchange.warehouse.tables import quarantine

LT_HEADER = ["Įrašo ID", "Asmens pseudonimas", "Gimimo metai", "Lytis", "Savivaldybė"]


def _params(receipt: dict, code: str) -> list[tuple[int | None, str | None, str]]:
    """(row, column, both messages) of each problem with `code`."""
    return [(p["row"], p["column"], p["message_lt"] + " | " + p["message_en"])
            for p in receipt["problems"] if p["code"] == code]


def test_nul_and_other_controls_in_values_quarantine_their_rows_and_the_rest_loads(
        hub_root: Path, database_url: str) -> None:
    rows = person_rows(6)
    rows[1][0] = "P\x00ZQX"                   # stored as is before: DataError on PostgreSQL
    rows[2][0] = "P\x1b[2J"                   # a terminal escape in an id
    rows[3][4] = "Kretingos r.\x00 sav."      # NUL in a value that is looked up, not stored
    rows[4][1] = rows[4][1][:10] + "\x85" + rows[4][1][11:]  # a C1 control
    # A NUL in a column name: a name that could be data is reported by its position only.
    drop(hub_root, "asmenys.person.csv", [[*PERSON_HEADER, "pa\x00stabos"], *[[*r, ""] for r in rows]])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "loaded"
    assert counts(receipt) == {"rows_read": 6, "inserted": 2, "quarantined": 4}
    assert problems(receipt) == [("header.unknown", None, None), ("file.columns_stripped", None, None),
                                 ("value.control_character", 3, "record_id"),
                                 ("value.control_character", 4, "record_id"),
                                 ("value.control_character", 5, "municipality"),
                                 ("value.control_character", 6, "person_pseudonym")]
    shown = _params(receipt, "value.control_character")
    assert [text.count("U+0000") for _, _, text in shown] == [2, 0, 2, 0]
    assert "U+001B" in shown[1][2] and "U+0085" in shown[3][2]
    assert sorted(records(database_url)) == ["P000000", "P000005"]
    stored = table_text(database_url, quarantine)
    assert "ZQX" not in stored and "[2J" not in stored and "Kretingos" not in stored
    assert [b["status"] for b in batch_rows(database_url)] == ["loaded"]


def test_record_ids_keep_no_bom_or_zero_width_and_a_line_break_inside_is_a_row_problem(
        hub_root: Path, database_url: str) -> None:
    rows = person_rows(5)
    rows[0][0] = "\ufeffP000000"   # a BOM left by a concatenated export
    rows[1][0] = "P000001\u200b"   # a zero-width space pasted from a web page
    rows[2][0] = "P00\n0002"       # a quoted line break inside the id
    rows[3][0] = "P00\t0003"
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *rows])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert counts(receipt) == {"rows_read": 5, "inserted": 3, "quarantined": 2}
    assert problems(receipt) == [("value.control_character", 4, "record_id"),
                                 ("value.control_character", 6, "record_id")]
    assert ["U+000A" in text for _, _, text in _params(receipt, "value.control_character")] == [True, False]
    assert sorted(records(database_url)) == ["P000000", "P000001", "P000004"]


def test_excel_unicode_text_export_utf16_with_or_without_bom_loads_like_utf8(
        hub_root: Path, database_url: str) -> None:
    # Excel's "Unicode text (*.txt)": UTF-16LE with a BOM, tab-separated, CRLF.
    rows = person_rows(3)
    rows[0][4] = "Kretingos rajono savivaldybė"
    drop(hub_root, "asmenys.person.txt", [LT_HEADER, *rows], encoding="utf-16", delimiter="\t")
    folder = hub_root / "inbox" / "kretingos-mimc"
    folder.mkdir(parents=True, exist_ok=True)
    text = "\r\n".join("\t".join(r) for r in [LT_HEADER, *person_rows(2, prefix="M")]) + "\r\n"
    (folder / "asmenys.person.txt").write_bytes(text.encode("utf-16-le"))  # no BOM

    ingest(hub_root)

    for org, expected in (("kretingos-spc", 3), ("kretingos-mimc", 2)):
        receipt = only_receipt(hub_root, org)
        assert (receipt["status"], receipt["problems"]) == ("loaded", []), org
        assert counts(receipt) == {"rows_read": expected, "inserted": expected}
    stored = records(database_url)
    assert sorted(stored) == ["P000000", "P000001", "P000002"]
    assert stored["P000000"]["municipality"] == "LT-22"
    assert sorted(records(database_url, org="kretingos-mimc")) == ["M000000", "M000001"]
