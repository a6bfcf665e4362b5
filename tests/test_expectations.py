"""Batch-level Great Expectations suites, run for real on frames built from contract rows."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from interchange.contract.records import MODELS, Deletion, Kind
from interchange.ingest import expectations, partitions
from interchange.ingest.expectations import (
    SUITE_NAMES,
    WEEKLY_VISITS,
    BatchVerdict,
    SuiteError,
    derive_columns,
    judge_batch,
    judge_columns,
    judge_frames,
    load_suite,
    resolve_parameters,
    weekly_visits_frame,
)
from interchange.ingest.validate import columns_frame
from interchange.warehouse.load import Row, RowColumns
from interchange.warehouse.tables import data_columns

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

ORG = "vaiko-centras"
PERIOD_START = date(2025, 1, 1)
TODAY = date(2025, 4, 1)
PARAMETERS = {"today": TODAY, "period_start": PERIOD_START, "current_year": 2025}
PSEUDONYM = "ab" * 32
PERSON_IDS = [f"asm-{i:04d}" for i in range(100)]


def frame(kind: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows validated by the contract models, as the hub holds them; partner row 1 is the header."""
    model = MODELS[Kind(kind)]
    dumped = [
        (Deletion if row.get("deleted") else model)(org=ORG, **row).model_dump()
        for row in rows
    ]
    result = pd.DataFrame(dumped)
    result["_row"] = range(2, len(rows) + 2)
    return result


def contacts(count: int = 100, **overrides: Any) -> list[dict[str, Any]]:
    return [
        {
            "record_id": f"kon-{i:04d}",
            "person_record_id": PERSON_IDS[i % len(PERSON_IDS)],
            "service_code": "case_management",
            "contact_date": PERIOD_START + timedelta(days=i % 80),
            "duration_minutes": 45,
            **overrides,
        }
        for i in range(count)
    ]


def persons(count: int = 100) -> list[dict[str, Any]]:
    return [
        {"record_id": PERSON_IDS[i], "person_pseudonym": PSEUDONYM, "birth_year": 1980 + i % 30}
        for i in range(count)
    ]


def outcome(verdict: BatchVerdict, code: str):
    [found] = [o for o in verdict.outcomes if o.code == code]
    return found


@pytest.fixture(scope="module")
def clean_frames() -> dict[str, pd.DataFrame]:
    return {
        "person": frame("person", persons()),
        "household": frame("household", [
            {"record_id": f"nu-{i}", "children_count": i % 5, "social_risk_from": date(2024, 3, 1)}
            for i in range(30)
        ]),
        "contact": frame("contact", contacts()),
        "group_session": frame("group_session", [
            {"record_id": f"gr-{i}", "service_code": "therapeutic_group",
             "session_date": PERIOD_START + timedelta(days=i), "attendee_record_ids": PERSON_IDS[i:i + 5]}
            for i in range(30)
        ]),
        "case": frame("case", [
            {"record_id": f"at-{i}", "case_type": "case_management", "person_record_id": PERSON_IDS[i],
             "opened": date(2024, 6, 1), "children_in_family": 2}
            for i in range(30)
        ]),
    }


def test_every_suite_loads_with_severity_code_and_both_languages() -> None:
    for name in SUITE_NAMES:
        suite = load_suite(name)
        assert suite["expectations"], name
        for expectation in suite["expectations"]:
            meta = expectation["meta"]
            assert meta["severity"] in ("critical", "warning")
            assert meta["code"].startswith("batch.")
            assert meta["lt"] and meta["en"]
        if name != "contact_weekly_visits":
            codes = {e["meta"]["code"]: e["meta"]["severity"] for e in suite["expectations"]}
            assert codes["batch.record_id_unique"] == "critical"


def test_clean_batches_pass_with_every_outcome_successful(clean_frames: dict[str, pd.DataFrame]) -> None:
    for kind, clean in clean_frames.items():
        verdict = judge_batch(kind, clean, parameters=PARAMETERS, known_person_ids=PERSON_IDS)
        assert not verdict.held, kind
        assert verdict.failed == [], kind
        assert all(o.success and o.unexpected_count == 0 for o in verdict.outcomes), kind
        assert all(o.message_lt and o.message_en for o in verdict.outcomes)
    contact_codes = [o.code for o in judge_batch(
        "contact", clean_frames["contact"], parameters=PARAMETERS, known_person_ids=PERSON_IDS).outcomes]
    assert "batch.supervision_visits_per_week" in contact_codes


def test_duplicate_record_id_holds_the_batch_with_row_numbers() -> None:
    rows = contacts(20)
    rows[7]["record_id"] = rows[3]["record_id"]
    verdict = judge_batch("contact", frame("contact", rows), parameters=PARAMETERS, known_person_ids=PERSON_IDS)
    assert verdict.held
    duplicate = outcome(verdict, "batch.record_id_unique")
    assert (duplicate.severity, duplicate.success, duplicate.column) == ("critical", False, "record_id")
    assert duplicate.unexpected_count == 2
    assert duplicate.unexpected_rows == [5, 9]  # list positions 3 and 7, after the header row
    assert "2 of 20" in duplicate.message_en and "2 iš 20" in duplicate.message_lt


def test_contact_dates_outside_the_period_hold_the_batch() -> None:
    rows = contacts(50, contact_date=date(2024, 6, 1))  # last year's file sent again
    verdict = judge_batch("contact", frame("contact", rows), parameters=PARAMETERS, known_person_ids=PERSON_IDS)
    assert verdict.held
    share = outcome(verdict, "batch.contact_period_share")
    assert (share.severity, share.success, share.unexpected_count) == ("critical", False, 50)
    assert "2025-01-01" in share.message_en and "2025-04-01" in share.message_lt


def test_a_stray_late_entry_is_only_a_warning() -> None:
    rows = contacts(200)
    rows[10]["contact_date"] = date(2024, 12, 20)
    verdict = judge_batch("contact", frame("contact", rows), parameters=PARAMETERS, known_person_ids=PERSON_IDS)
    assert not verdict.held
    assert [w.code for w in verdict.warnings] == ["batch.contact_date_in_period"]
    assert verdict.warnings[0].unexpected_rows == [12]


@pytest.mark.parametrize(("unknown", "held"), [(20, True), (5, False)])
def test_unknown_person_references_hold_only_above_the_threshold(unknown: int, held: bool) -> None:
    rows = contacts(100)
    for row in rows[:unknown]:
        row["person_record_id"] = "niekam-nezinomas"
    verdict = judge_batch("contact", frame("contact", rows), parameters=PARAMETERS, known_person_ids=PERSON_IDS)
    known = outcome(verdict, "batch.contact_person_known")
    assert verdict.held is held
    assert known.success is not held
    assert known.unexpected_count == unknown
    assert known.unexpected_rows == list(range(2, unknown + 2))


def test_persons_known_only_from_the_same_delivery_count_as_known() -> None:
    rows = contacts(10, person_record_id="naujas-asmuo")
    in_delivery = {"naujas-asmuo"}  # the hub's ids plus the person file of this delivery
    verdict = judge_batch("contact", frame("contact", rows), parameters=PARAMETERS,
                          known_person_ids=set(PERSON_IDS) | in_delivery)
    assert outcome(verdict, "batch.contact_person_known").success


def test_too_many_persons_without_linkage_keys_is_a_warning_not_held() -> None:
    rows = persons(100)
    for row in rows[:30]:
        row["person_pseudonym"] = None
    rows[0]["surname_token"] = "cd" * 32  # a token alone is still a linkage key
    verdict = judge_batch("person", frame("person", rows), parameters=PARAMETERS)
    assert not verdict.held
    [warning] = verdict.warnings
    assert (warning.code, warning.unexpected_count) == ("batch.linkage_key_share", 29)
    assert "80%" in warning.message_en and "80 %" in warning.message_lt


def test_nine_supervision_visits_in_one_week_warn_with_the_count_not_the_person() -> None:
    rows = contacts(30)
    for i in range(9):  # Monday 2025-02-03 to Friday 2025-02-07, some days twice
        rows[20 + i] |= {"person_record_id": "asm-0042", "service_code": "supervision_visit",
                         "contact_date": date(2025, 2, 3) + timedelta(days=i % 5)}
    verdict = judge_batch("contact", frame("contact", rows), parameters=PARAMETERS, known_person_ids=PERSON_IDS)
    assert not verdict.held
    [warning] = verdict.warnings
    assert (warning.code, warning.severity, warning.unexpected_count) == ("batch.supervision_visits_per_week",
                                                                         "warning", 1)
    assert warning.unexpected_rows == [22]  # the first contact of that week
    for message in (warning.message_en, warning.message_lt):
        assert "1" in message and "7" in message
        assert "asm-0042" not in message and "42" not in message


def test_weekly_visits_count_per_person_and_iso_week() -> None:
    rows = contacts(4, service_code="supervision_visit", person_record_id="asm-0001")
    rows[0]["contact_date"] = date(2024, 12, 30)  # ISO week 2025-W01, like 2025-01-02
    rows[1]["contact_date"] = date(2025, 1, 2)
    rows[2]["contact_date"] = date(2025, 1, 6)  # 2025-W02
    rows[3] = {"record_id": rows[3]["record_id"], "deleted": True}
    weekly = weekly_visits_frame(frame("contact", rows))
    assert weekly[["iso_year", "iso_week", "visits", "_row"]].values.tolist() == [[2025, 1, 2, 2], [2025, 2, 1, 4]]


def test_iso_weeks_are_pandas_isocalendar_on_every_day_a_frame_can_hold() -> None:
    days = pd.Series(pd.date_range(pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D"), freq="D"))
    times = days.iloc[:-1] + pd.to_timedelta([second * 7919 % 86_400 for second in range(len(days) - 1)], unit="s")
    for dates in (days, times):
        iso = dates.dt.isocalendar()
        expected = iso["year"].to_numpy(dtype="int64") * 100 + iso["week"].to_numpy(dtype="int64")
        assert (expectations._iso_weeks(dates.to_numpy()) == expected).all()


def test_person_weeks_of_a_few_persons_over_weeks_are_counted_as_one_gx_run_counts_them() -> None:
    rows = contacts(90, service_code="supervision_visit")
    for i, row in enumerate(rows):  # four persons, visited over six weeks, some more than seven times a week
        row |= {"person_record_id": PERSON_IDS[i % 4], "contact_date": PERIOD_START + timedelta(days=i % 40 // 2)}
    whole = frame("contact", rows)
    reference = one_gx_run("contact", whole, PERSON_IDS)
    assert outcome(BatchVerdict(reference), "batch.supervision_visits_per_week").unexpected_rows
    assert judge_batch("contact", whole, parameters=PARAMETERS, known_person_ids=PERSON_IDS).outcomes == reference


def test_text_is_compared_as_pandas_compares_it_whatever_the_column_holds() -> None:
    values = ["supervision_visit", "supervision_visit ", None, float("nan"), pd.NaT, pd.NA, 7, ["supervision_visit"]]
    for column in (pd.Series(values, dtype=object), pd.Series(values[:5], dtype=object), pd.Series(values[:3])):
        expected = (column == "supervision_visit").fillna(False).to_numpy(dtype=bool)
        assert expectations._equals(column, "supervision_visit").tolist() == expected.tolist()


def test_messages_never_contain_record_ids_or_pseudonyms() -> None:
    rows = contacts(40, duration_minutes=901, contact_date=date(2023, 5, 5), person_record_id="slaptas-asmuo")
    rows[1]["record_id"] = rows[0]["record_id"]
    verdict = judge_batch("contact", frame("contact", rows), parameters=PARAMETERS, known_person_ids=PERSON_IDS)
    people = frame("person", [{"record_id": "slaptas-asmuo", "person_pseudonym": PSEUDONYM, "birth_year": 1890},
                              {"record_id": "kitas-asmuo", "birth_year": 1990}])
    person_verdict = judge_batch("person", people, parameters=PARAMETERS)
    failed = verdict.failed + person_verdict.failed
    assert len(failed) == 7  # five contact rules, birth year and linkage share
    secrets = ["kon-0000", "slaptas-asmuo", "kitas-asmuo", PSEUDONYM, "2023-05-05", "901", "1890"]
    for o in failed:
        for message in (o.message_lt, o.message_en):
            assert not [s for s in secrets if s in message], (o.code, message)


def test_group_sessions_with_unknown_attendees_hold_the_batch(clean_frames: dict[str, pd.DataFrame]) -> None:
    sessions = clean_frames["group_session"]
    verdict = judge_batch("group_session", sessions, parameters=PARAMETERS, known_person_ids=PERSON_IDS[:10])
    known = outcome(verdict, "batch.session_attendees_known")
    assert verdict.held and not known.success
    assert known.unexpected_count == 24  # sessions 6..29 list someone beyond the first ten persons


def test_case_opened_after_today_holds_and_many_children_warn(clean_frames: dict[str, pd.DataFrame]) -> None:
    cases = clean_frames["case"].copy()
    cases.loc[3, "opened"] = date(2025, 6, 1)
    cases.loc[4, "children_in_family"] = 25
    verdict = judge_batch("case", cases, parameters=PARAMETERS)
    assert verdict.held
    assert [(o.code, o.unexpected_rows) for o in verdict.failed] == [
        ("batch.case_opened_not_future", [5]), ("batch.case_children_plausible", [6])]


def test_household_with_many_children_is_a_warning(clean_frames: dict[str, pd.DataFrame]) -> None:
    households = clean_frames["household"].copy()
    households.loc[0, "children_count"] = 22
    verdict = judge_batch("household", households, parameters=PARAMETERS)
    assert not verdict.held
    assert [(w.code, w.unexpected_rows) for w in verdict.warnings] == [("batch.children_count_plausible", [2])]


def test_iso_string_dates_and_deletion_rows_are_accepted() -> None:
    rows = [*contacts(5), {"record_id": "kon-9999", "deleted": True}]
    contact_frame = frame("contact", rows)
    contact_frame["contact_date"] = contact_frame["contact_date"].map(lambda d: d.isoformat() if pd.notna(d) else None)
    derived = derive_columns("contact", contact_frame, known_person_ids=[])
    assert derived["person_known"].tolist() == [False] * 5 + [True]  # a deletion references nobody
    verdict = judge_batch("contact", contact_frame, parameters=PARAMETERS, known_person_ids=PERSON_IDS)
    assert verdict.failed == []


def test_reference_checks_need_the_known_person_ids(clean_frames: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(ValueError, match="known_person_ids"):
        judge_batch("contact", clean_frames["contact"], parameters=PARAMETERS)


def test_a_suite_naming_a_value_in_its_message_is_refused(tmp_path: Path) -> None:
    suite = load_suite("household")
    suite["expectations"][1]["meta"]["en"] = "Household {record_id} has {children_count} children."
    (tmp_path / "household.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(SuiteError, match="children_count, record_id"):
        load_suite("household", tmp_path)


def test_gx_is_imported_without_pyspark_so_a_python_c_process_is_not_ended_by_it() -> None:
    # PySpark is installed (linkage on Spark); its Connect client, which GX would import, ends a
    # `python -c` process with exit status 0 when grpc is missing and warns about pandas on stderr.
    assert importlib.util.find_spec("pyspark") is not None
    script = ("import sys; from interchange.ingest.expectations import great_expectations; gx = great_expectations(); "
              "gx.get_context(mode='ephemeral'); print('pyspark' in sys.modules); import pyspark; sys.exit(5)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (5, "False", "")


def one_gx_run(kind: str, whole: pd.DataFrame, known: list[str] | None) -> list[Any]:
    """Each suite over the whole frame in a single Great Expectations run: the reference."""
    resolved = resolve_parameters(PARAMETERS)
    prepared = expectations._prepare(kind, derive_columns(kind, whole, known_person_ids=known))
    outcomes = expectations._validate(load_suite(kind), prepared, resolved)
    if kind == "contact":
        outcomes += expectations._validate(load_suite(WEEKLY_VISITS), weekly_visits_frame(prepared), resolved)
    return outcomes


def awkward_batches() -> dict[str, pd.DataFrame]:
    """A batch of every kind whose failures span frames: repeated ids far apart, more failing rows
    than a receipt lists, missing values, a busy week split over frames, unknown persons."""
    return {kind: frame(kind, rows) for kind, rows in awkward_rows().items()}


def awkward_rows() -> dict[str, list[dict[str, Any]]]:
    """The rows of awkward_batches, by kind."""
    rows = contacts(150)
    for i in range(0, 150, 2):  # 75 contacts before the period: more than MAX_UNEXPECTED_ROWS
        rows[i]["contact_date"] = date(2024, 11, 1)
    for i in (5, 60, 140):
        rows[i]["record_id"] = "kon-0001"  # the same id in three frames, and its first use
    rows[90]["record_id"] = rows[33]["record_id"]
    for i in range(10, 130, 12):  # ten visits to one person in one ISO week, over several frames
        rows[i] |= {"person_record_id": "asm-0007", "service_code": "supervision_visit",
                    "contact_date": date(2025, 2, 3) + timedelta(days=i % 7)}
    for i in range(3, 150, 17):
        rows[i]["person_record_id"] = "nobody-we-know"
    for i in (4, 71, 149):
        rows[i]["duration_minutes"] = None
    rows[72]["duration_minutes"] = 900
    rows += [{"record_id": "kon-0002", "deleted": True}, {"record_id": "kon-9999", "deleted": True}]
    people = persons(100)
    people[50]["record_id"] = people[2]["record_id"]
    for i in range(0, 100, 3):
        people[i]["person_pseudonym"] = None
    people[99]["birth_year"] = 1895
    households = [{"record_id": f"nu-{i}", "children_count": None if i % 9 == 0 else 21 + i % 4 if i % 2 else i % 5,
                   "social_risk_from": date(2024, 3, 1)} for i in range(120)]
    households[70]["record_id"] = "nu-3"
    sessions = [{"record_id": f"gr-{i}", "service_code": "therapeutic_group",
                 "session_date": date(2024, 12, 1) if i % 3 == 0 else PERIOD_START + timedelta(days=i % 80),
                 "attendee_record_ids": [*PERSON_IDS[i % 90:i % 90 + 3], *(["nobody-we-know"] if i % 5 == 0 else [])]}
                for i in range(130)]
    sessions[101]["record_id"] = sessions[8]["record_id"]
    cases = [{"record_id": f"at-{i}", "case_type": "case_management", "person_record_id": PERSON_IDS[i % 100],
              "opened": date(2025, 6, 1) if i % 2 else date(2024, 6, 1),
              "children_in_family": None if i % 11 == 0 else 30 if i % 4 == 1 else 2} for i in range(140)]
    cases[139]["record_id"] = "at-0"
    return {"contact": rows, "person": people, "household": households, "group_session": sessions, "case": cases}


@pytest.mark.parametrize("spilled", [False, True])
def test_a_batch_judged_in_frames_gets_the_outcomes_of_one_gx_run_over_it_all(
        monkeypatch: pytest.MonkeyPatch, spilled: bool) -> None:
    # A national drop is judged a chunk at a time; the receipt must not know the difference.
    size = 7  # rows per frame: duplicates and busy weeks are split across frames
    monkeypatch.setattr(expectations, "GX_ROWS", 60)  # and several GX runs share the failing rows
    if spilled:  # ids and visits go to disk in partitions, grouped a partition at a time
        monkeypatch.setattr(partitions, "SPILL_RECORDS", 5)
        monkeypatch.setattr(partitions, "PARTITION_BITS", 2)
    batches = awkward_batches()
    assert set(batches) | {WEEKLY_VISITS} == set(SUITE_NAMES)
    for kind, whole in batches.items():
        known = PERSON_IDS if kind in ("contact", "group_session") else None
        parts = [whole.iloc[start:start + size] for start in range(0, len(whole), size)]
        verdict = judge_frames(kind, parts, parameters=PARAMETERS, known_person_ids=known)
        reference = one_gx_run(kind, whole, known)
        failed = [o for o in reference if not o.success]
        # The batches do fail, every suite in some way, some expectations beyond the rows a receipt lists.
        assert failed and {o.column for o in failed} >= {"record_id"}, kind
        assert verdict.outcomes == reference, kind
    assert max(o.unexpected_count for o in judge_batch("case", batches["case"], parameters=PARAMETERS).failed) > 50


def spooled(kind: str, rows: list[dict[str, Any]]) -> list[Row]:
    """The rows as the hub's spool holds them once validated (validate._RowValidator)."""
    model, columns = MODELS[Kind(kind)], data_columns(kind)
    held = []
    for number, row in enumerate(rows, start=2):
        record = (Deletion if row.get("deleted") else model)(org=ORG, **row)
        values = (None,) * len(columns) if row.get("deleted") else tuple(getattr(record, c) for c in columns)
        held.append(Row(number, record.record_id, bool(row.get("deleted")), values))
    return held


@pytest.mark.parametrize("spilled", [False, True])
def test_the_spools_columns_are_judged_as_the_frames_made_of_them(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spilled: bool) -> None:
    # judge_columns makes its own frames of the spool's chunks (text kept as objects): the verdict
    # must be judge_frames' over validate.columns_frame, also where a suite has GX read text and
    # judges a text column's duplicates.
    monkeypatch.setattr(expectations, "GX_ROWS", 60)
    if spilled:
        monkeypatch.setattr(partitions, "SPILL_RECORDS", 5)
        monkeypatch.setattr(partitions, "PARTITION_BITS", 2)
    suite = load_suite("contact")
    suite["expectations"] += [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "service_code",
                                                                 "value_set": ["case_management"], "mostly": 0.5},
         "meta": {"severity": "warning", "code": "batch.test_service", "lt": "{unexpected_count}",
                  "en": "{unexpected_count}"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "person_record_id"},
         "meta": {"severity": "warning", "code": "batch.test_person_once", "lt": "{unexpected_count}",
                  "en": "{unexpected_count}"}},
    ]
    for name in SUITE_NAMES:
        (tmp_path / f"{name}.json").write_text(json.dumps(suite if name == "contact" else load_suite(name)),
                                               encoding="utf-8")
    for kind, listed in awkward_rows().items():
        chunks = [RowColumns.from_rows(part, len(data_columns(kind)))
                  for part in (spooled(kind, listed[start:start + 9]) for start in range(0, len(listed), 9))]
        known = PERSON_IDS if kind in ("contact", "group_session") else None
        verdict = judge_columns(kind, chunks, parameters=PARAMETERS, known_person_ids=set(known or ()) or None,
                                directory=tmp_path)
        frames = [columns_frame(Kind(kind), chunk) for chunk in chunks]
        assert verdict == judge_frames(kind, frames, parameters=PARAMETERS, known_person_ids=known,
                                       directory=tmp_path), kind
        assert verdict.failed, kind


def test_each_outcome_is_what_gx_validation_makes_of_the_whole_batch() -> None:
    # The metrics each expectation needs are computed, not the suite validated: the same outcomes,
    # passing and failing, for every suite (each batch in one GX run, as a municipal drop is).
    for kind, whole in {**awkward_batches(), "clean person": frame("person", persons())}.items():
        kind = kind.removeprefix("clean ")
        known = PERSON_IDS if kind in ("contact", "group_session") else None
        verdict = judge_batch(kind, whole, parameters=PARAMETERS, known_person_ids=known)
        assert verdict.outcomes == one_gx_run(kind, whole, known), kind


def test_an_expectation_gx_cannot_evaluate_is_a_suite_error_not_a_pass(
        tmp_path: Path, clean_frames: dict[str, pd.DataFrame], caplog: pytest.LogCaptureFixture) -> None:
    # A reviewed suite that bounds a date column with a number: GX gives up on the expectation's metrics.
    suite = load_suite("case")
    [opened] = [e for e in suite["expectations"] if e["kwargs"]["column"] == "opened"]
    opened["kwargs"]["min_value"] = 0
    (tmp_path / "case.json").write_text(json.dumps(suite), encoding="utf-8")
    failure = "great_expectations.exceptions.exceptions.MetricResolutionError"
    expected = f"{opened['meta']['code']}: cannot be evaluated ({failure})"
    with pytest.raises(SuiteError) as raised:
        judge_batch("case", clean_frames["case"], parameters=PARAMETERS, directory=tmp_path)
    assert str(raised.value) == expected
    prepared = expectations._prepare("case", derive_columns("case", clean_frames["case"]))
    with pytest.raises(SuiteError) as by_validation:
        expectations._validate(load_suite("case", tmp_path), prepared, resolve_parameters(PARAMETERS))
    assert str(by_validation.value) == expected
    # The exception's text can quote a value; no log record carries it.
    assert not [r for r in caplog.records if "not supported between" in r.getMessage()]


@pytest.mark.parametrize("expectation_type",
                         ["expect_column_values_to_not_be_null", "expect_column_values_to_be_of_type"])
def test_a_column_map_expectation_gx_decides_by_another_rule_is_refused(tmp_path: Path, expectation_type: str) -> None:
    # Their outcome is not the unexpected share that the frames of a batch sum up to.
    suite = load_suite("household")
    suite["expectations"][1]["type"] = expectation_type
    (tmp_path / "household.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(SuiteError, match=f"{expectation_type} is not a column-map expectation decided by"):
        load_suite("household", tmp_path)
