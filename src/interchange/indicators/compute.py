"""Computing the catalogue: every indicator, every allowed breakdown, as a cell table (cells.py).

How (docs/indicators.md has the rules for analysts):

1. The warehouse (SQLite or PostgreSQL, through SQLAlchemy Core) is read once per run:
   non-deleted person and household records with their linkage keys, and the contacts,
   group sessions and cases of the period. Deleted records are never read. All of it is one
   snapshot; the contacts are read in two parts at once, on two connections
   (warehouse/arrow_reader.py), so both cores convert rows while DuckDB works.
2. In an in-process DuckDB database these become one ``facts`` table: a row per contact,
   registered attendance, group session, case open in the period and household at social
   risk in the period, each with the person (``person_key``), the family (``family_key``),
   the dates it covers (clipped to the period) and the person's resolved attributes.
3. Each indicator keeps the facts its selections name, applies its person-level condition,
   expands rows to the months (or, for family-weeks, the days) they cover, and counts
   distinct entities per breakdown with one ``GROUPING SETS`` query.

Distinct counts are not additive: a person served in two months or by two organisations
appears in both cells and once in the total.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, Text, and_, cast, false, or_, select

from interchange.errors import InterchangeError
from interchange.indicators.catalogue import Catalogue, Indicator, Selection
from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS, breakdown_name
from interchange.indicators.consent import OrgConsent, consent_by_org
from interchange.indicators.periods import Period
from interchange.stage_times import stage_timer
from interchange.warehouse.arrow_reader import PART_IDS, ArrowReader, Kind, arrow_reader
from interchange.warehouse.tables import (
    case_records,
    contact_records,
    group_session_records,
    household_links,
    household_records,
    person_links,
    person_records,
)

log = logging.getLogger(__name__)
stage = stage_timer("indicators")

Consent = Literal["exclude", "totals_only"]
UNKNOWN = "unknown"
"""A dimension value the records do not give (no sex, no birth year, no municipality)."""
ADULT_AGE = 18
_FAMILY_COUNTS = frozenset({"households", "children", "family_weeks", "cases"})
_FEW_PER_ENTITY = frozenset({"persons", "households", "children"})
"""Counts of distinct entities that appear in many rows each (see _breakdowns_sql)."""
_ENTITY_ATTRIBUTES = frozenset({"municipality", "sex", "age_group"})
_ONE_DAY = frozenset({"contact", "attendance", "group_session"})
"""Sources whose events are of one day: one row each in the facts (cases and households span months)."""
_MAX_CHILDREN = 30  # contract.values.ChildCount
_DAYS = 100_000  # days since 2000-01-01 stay below this until the 2270s
CONSENT_ONLY = "consent_only"
_SOURCE_IDS = 10**12  # event ids: row number within its source table + source number * this
_READERS = 2  # connections that read the contacts at once: the cores of the machine it is made for
assert _SOURCE_IDS > _READERS * PART_IDS  # the contacts' numbers (reader.split) stay below the next source's


class UnlinkedRecordsError(InterchangeError, RuntimeError):
    """Records in scope have no linkage key yet: `interchange link` must run first."""


# --- reading the warehouse -----------------------------------------------------------------------

_TABLES: dict[str, dict[str, str]] = {
    "person_recs": {
        "org": "VARCHAR", "record_id": "VARCHAR", "person_key": "VARCHAR", "household_record_id": "VARCHAR",
        "sex": "VARCHAR", "birth_year": "BIGINT", "municipality": "VARCHAR", "consent_reporting": "BOOLEAN",
        "dv_victim": "BOOLEAN", "social_risk_family": "BOOLEAN", "disability": "BOOLEAN", "addiction": "BOOLEAN"},
    "household_recs": {
        "org": "VARCHAR", "record_id": "VARCHAR", "household_key": "VARCHAR", "municipality": "VARCHAR",
        "social_risk_from": "DATE", "social_risk_to": "DATE", "children_count": "BIGINT"},
    "contacts": {
        "event_id": "BIGINT", "org": "VARCHAR", "person_record_id": "VARCHAR", "service_code": "VARCHAR", "day": "DATE",
        "minutes": "BIGINT"},
    "sessions": {
        "org": "VARCHAR", "service_code": "VARCHAR", "day": "DATE", "minutes": "BIGINT", "attendees": "VARCHAR"},
    "cases": {
        "org": "VARCHAR", "case_type": "VARCHAR", "person_record_id": "VARCHAR",
        "household_record_id": "VARCHAR", "opened": "DATE", "closed": "DATE", "repeat_victimisation": "BOOLEAN",
        "children_in_family": "BIGINT"},
}
"""The DuckDB tables a run reads into, with their column types (contacts: the columns of the stream
that goes straight into the facts). Events are told apart by their row number (event_id), so their
own record_id is not read: at national scale every string column read costs seconds."""
_KINDS: dict[str, Kind] = {"VARCHAR": "text", "BIGINT": "integer", "BOOLEAN": "boolean", "DATE": "date"}


def _read_warehouse(reader: ArrowReader, duck: duckdb.DuckDBPyConnection, period: Period,
                    orgs: Collection[str] | None) -> None:
    """Copy what the period needs from the warehouse into DuckDB tables (see _TABLES)."""
    p, pl = person_records, person_links
    _copy(reader, duck, "person_recs", select(
        p.c.org, p.c.record_id, pl.c.person_key, p.c.household_record_id, p.c.sex, p.c.birth_year,
        p.c.municipality, p.c.consent_reporting, p.c.dv_victim, p.c.social_risk_family, p.c.disability,
        p.c.addiction,
    ).select_from(p.outerjoin(pl, and_(pl.c.org == p.c.org, pl.c.record_id == p.c.record_id)))
        .where(p.c.deleted == false()))

    h, hl = household_records, household_links
    _copy(reader, duck, "household_recs", select(
        h.c.org, h.c.record_id, hl.c.household_key, h.c.municipality, h.c.social_risk_from,
        h.c.social_risk_to, h.c.children_count,
    ).select_from(h.outerjoin(hl, and_(hl.c.org == h.c.org, hl.c.record_id == h.c.record_id)))
        .where(h.c.deleted == false()))

    g = group_session_records
    _copy(reader, duck, "sessions", _in_orgs(select(
        g.c.org, g.c.service_code, g.c.session_date.label("day"),
        g.c.duration_minutes.label("minutes"), cast(g.c.attendee_record_ids, Text).label("attendees"),
    ).where(g.c.deleted == false(), g.c.session_date.between(period.start, period.end)), g, orgs))

    k = case_records
    _copy(reader, duck, "cases", _in_orgs(select(
        k.c.org, k.c.case_type, k.c.person_record_id, k.c.household_record_id, k.c.opened,
        k.c.closed, k.c.repeat_victimisation, k.c.children_in_family,
    ).where(k.c.deleted == false(), k.c.opened <= period.end,
            or_(k.c.closed.is_(None), k.c.closed >= period.start)), k, orgs))

    _timed(duck, "attendance", """
        CREATE TABLE attendance AS
        SELECT org, CAST(unnest(from_json(attendees, '["VARCHAR"]')) AS VARCHAR) AS person_record_id,
               service_code, day
        FROM sessions WHERE attendees IS NOT NULL""")


def _contacts(reader: ArrowReader, period: Period, orgs: Collection[str] | None) -> pa.RecordBatchReader:
    """The period's contacts as one stream, read in parts at once (reader.split), each contact
    numbered by its part's row number (its event_id)."""
    c = contact_records
    return reader.read_parts("contacts", [_in_orgs(select(
        part.row_number.label("event_id"), c.c.org, c.c.person_record_id, c.c.service_code,
        c.c.contact_date.label("day"), c.c.duration_minutes.label("minutes"),
    ).where(part.where, c.c.deleted == false(), c.c.contact_date.between(period.start, period.end)), c, orgs)
        for part in reader.split(c)], {column: _KINDS[kind] for column, kind in _TABLES["contacts"].items()})


def _timed(duck: duckdb.DuckDBPyConnection, name: str, sql: str) -> None:
    """Run `sql`, which makes the table `name`, as a stage of the log (interchange.stage_times)."""
    with stage(name):
        duck.execute(sql)


def _in_orgs(statement: Any, table: Any, orgs: Collection[str] | None) -> Any:
    return statement if orgs is None else statement.where(table.c.org.in_(sorted(orgs)))


def _copy(reader: ArrowReader, duck: duckdb.DuckDBPyConnection, name: str, statement: Any) -> None:
    """The rows of `statement` into a new DuckDB table `name`, as Arrow batches: no row passes through Python."""
    schema = _TABLES[name]
    with stage(f"read {name}"):
        _copy_batches(duck, name, schema, reader.read(name, statement, {c: _KINDS[k] for c, k in schema.items()}))


def _copy_batches(duck: duckdb.DuckDBPyConnection, name: str, schema: dict[str, str], batches: Any) -> None:
    _from_batches(duck, f"CREATE TABLE {name} AS SELECT * FROM {{batches}}", schema, batches)


def _from_batches(duck: duckdb.DuckDBPyConnection, sql: str, schema: dict[str, str], batches: Any) -> None:
    """Run `sql`, in which ``{batches}`` stands for the Arrow stream `batches` with the column types of `schema`."""
    duck.register("_batches", batches)
    try:
        duck.execute(sql.replace("{batches}", "(SELECT " + ", ".join(
            f"CAST({column} AS {kind}) AS {column}" for column, kind in schema.items()) + " FROM _batches)"))
    finally:
        duck.unregister("_batches")


# --- the facts -------------------------------------------------------------------------------


_SOURCES = ("attendance", "case", "contact", "group_session", "social_risk_household")


def _create_code_types(duck: duckdb.DuckDBPyConnection, period: Period) -> None:
    """ENUM types for the code columns of events and facts (sources, organisations, case types,
    person attributes, months): filtered, grouped and joined as small integers rather than text.
    The values are sorted, so an ENUM orders (ORDER BY, min) as its text would. Service codes stay
    text: the contacts' codes are not known before they stream into the facts."""
    found = {
        "source_code": [f"SELECT '{s}'" for s in _SOURCES],
        "missing_code": [f"SELECT '{reason}'" for reason in ("absent", "unlinked", "unnamed")],
        # A contact counts only at the organisation of the person record it names (its org, then).
        "org_code": [f"SELECT org FROM {t}" for t in ("person_recs", "household_recs", "sessions", "cases")],
        "case_type_code": ["SELECT case_type FROM cases"],
        "sex_code": ["SELECT sex FROM person_recs", f"SELECT '{UNKNOWN}'"],
        "age_group_code": [f"SELECT '{v}'" for v in ("adult", "child", UNKNOWN)],
        "municipality_code": ["SELECT municipality FROM person_recs", "SELECT municipality FROM household_recs",
                              f"SELECT '{UNKNOWN}'"],
        "month_code": [f"SELECT '{label}'" for label, _, _ in period.months()],
    }
    for name, parts in found.items():
        values = sorted({value for (value,) in duck.execute(" UNION ".join(parts)).fetchall() if value is not None})
        duck.execute(f"CREATE TYPE {name} AS ENUM ({', '.join(_text(v) for v in values)})")


def _build_facts(duck: duckdb.DuckDBPyConnection, period: Period, contacts: pa.RecordBatchReader) -> None:
    """persons, households, events (checked for linkage) and facts, the `contacts` read into them;
    see the module docstring."""
    start, end = _date(period.start), _date(period.end)
    with stage("code types"):
        _create_code_types(duck, period)
    _timed(duck, "months", f"""
        CREATE TABLE months AS SELECT * FROM (VALUES {", ".join(
            f"('{label}'::month_code, {_date(first)}, {_date(last)})" for label, first, last in period.months())})
            AS m(month, first_day, last_day)""")
    duck.execute(f"CREATE TABLE numbers AS SELECT range AS n FROM range(1, {_MAX_CHILDREN + 1})")
    # Families known from household records, numbered (hid) for the joins and counts below.
    _timed(duck, "households", f"""
        CREATE TABLE households AS
        WITH recs AS (SELECT * FROM household_recs WHERE household_key IS NOT NULL)
        SELECT row_number() OVER (ORDER BY k.household_key) AS hid, k.household_key, m.municipality
        FROM (SELECT DISTINCT household_key FROM recs) k
        LEFT JOIN ({_most_common("recs", "household_key", "municipality")}) m USING (household_key)""")
    # A person's attributes across agencies: the most common value of their records (ties: the
    # smallest); consent only if some record says yes and none says no; a flag if any record sets it.
    # Persons are numbered (pid) first, in person_key order: grouping, joining and counting integers
    # is what keeps national runs fast. Where a person's records agree (nearly everyone), the value
    # is their smallest = largest one: only the records of the few persons whose records differ are
    # counted value by value.
    agreed = {column: f"CASE WHEN {column}_low = {column}_high THEN {column}_low ELSE {alias}.{column} END"
              for column, alias in (("sex", "s"), ("birth_year", "b"), ("municipality", "m"))}
    _timed(duck, "persons", f"""
        CREATE TABLE persons AS
        WITH keys AS (
            SELECT person_key, row_number() OVER (ORDER BY person_key) AS pid
            FROM (SELECT DISTINCT person_key FROM person_recs WHERE person_key IS NOT NULL)),
        recs AS (
            SELECT k.pid, r.consent_reporting, r.dv_victim, r.social_risk_family, r.disability, r.addiction,
                   r.sex, r.birth_year, r.municipality, hh.hid
            FROM person_recs r JOIN keys k USING (person_key)
            LEFT JOIN household_recs h ON h.org = r.org AND h.record_id = r.household_record_id
            LEFT JOIN households hh ON hh.household_key = h.household_key),
        own AS (
            SELECT pid,
                   coalesce(bool_or(consent_reporting), false)
                       AND NOT coalesce(bool_or(NOT consent_reporting), false) AS consent,
                   coalesce(bool_or(dv_victim), false) AS dv_victim,
                   coalesce(bool_or(social_risk_family), false) AS social_risk_family,
                   coalesce(bool_or(disability), false) AS disability,
                   coalesce(bool_or(addiction), false) AS addiction,
                   min(hid) AS hid,  -- households are numbered in household_key order: the smallest key's
                   {", ".join(f"min({c}) AS {c}_low, max({c}) AS {c}_high" for c in agreed)}
            FROM recs GROUP BY pid),
        differing AS (
            SELECT * FROM recs WHERE pid IN (
                SELECT pid FROM own WHERE {" OR ".join(f"{c}_low <> {c}_high" for c in agreed)}))
        SELECT own.pid, k.person_key, own.consent, own.dv_victim, own.social_risk_family, own.disability,
               own.addiction, own.hid,
               coalesce({agreed["sex"]}, '{UNKNOWN}') AS sex,
               CASE WHEN ({agreed["birth_year"]}) IS NULL THEN '{UNKNOWN}'
                    WHEN {period.end.year} - ({agreed["birth_year"]}) < {ADULT_AGE} THEN 'child'
                    ELSE 'adult' END AS age_group,
               coalesce({agreed["municipality"]}, '{UNKNOWN}') AS municipality
        FROM own JOIN keys k USING (pid)
        LEFT JOIN ({_most_common("differing", "pid", "sex")}) s USING (pid)
        LEFT JOIN ({_most_common("differing", "pid", "birth_year")}) b USING (pid)
        LEFT JOIN ({_most_common("differing", "pid", "municipality")}) m USING (pid)""")
    # Each person and household record with its number (empty while it has no key); `found` tells
    # a record in the warehouse from none, in a join, without reading its record_id again. A
    # person record also carries what a fact of its person holds (see the facts below), typed:
    # the ten million contacts take it from this one join, as they stream in.
    families = _scalar(duck, "SELECT count(*) FROM households")
    _timed(duck, "person_refs", f"""
        CREATE TABLE person_refs AS
        SELECT r.org, r.record_id, p.pid, true AS found, r.org::org_code AS org_code, p.consent,
               p.sex::sex_code AS sex, p.age_group::age_group_code AS age_group,
               p.municipality::municipality_code AS municipality,
               coalesce(hh.municipality, p.municipality, '{UNKNOWN}')::municipality_code AS family_municipality,
               p.dv_victim, p.social_risk_family, p.disability, p.addiction,
               coalesce(p.hid, {families} + p.pid) AS fid
        FROM person_recs r LEFT JOIN persons p USING (person_key) LEFT JOIN households hh ON hh.hid = p.hid""")
    _timed(duck, "household_refs", """
        CREATE TABLE household_refs AS
        SELECT r.org, r.record_id, h.hid FROM household_recs r LEFT JOIN households h USING (household_key)""")
    # Every event but the contacts once, with the numbers of the person and household it names:
    # the linkage checks and the facts read it, instead of joining on names again for each.
    # event_id numbers each event across sources (a case spanning three months is one event in
    # three facts rows). `*_found`: the record named is in the warehouse (its number may still
    # be empty: not linked).
    _timed(duck, "events", f"""
        CREATE TABLE events AS
        SELECT 'attendance'::source_code AS source, a.rowid + {_SOURCE_IDS} AS event_id, a.org::org_code AS org,
               a.person_record_id IS NOT NULL AS person_ref, p.found IS NOT NULL AS person_found, p.pid,
               a.service_code, a.day AS day_from, a.day AS day_to
        FROM attendance a LEFT JOIN person_refs p ON p.org = a.org AND p.record_id = a.person_record_id
        UNION ALL BY NAME
        SELECT 'group_session'::source_code AS source, rowid + 2 * {_SOURCE_IDS} AS event_id, org::org_code AS org,
               service_code,
               day AS day_from, day AS day_to, minutes
        FROM sessions
        UNION ALL BY NAME
        SELECT 'case'::source_code AS source, c.rowid + 3 * {_SOURCE_IDS} AS event_id, c.org::org_code AS org,
               c.person_record_id IS NOT NULL AS person_ref, p.found IS NOT NULL AS person_found, p.pid,
               c.household_record_id IS NOT NULL AS household_ref, h.record_id IS NOT NULL AS household_found,
               h.hid, c.case_type::case_type_code AS case_type, c.repeat_victimisation,
               c.children_in_family AS children,
               greatest(c.opened, {start}) AS day_from, least(coalesce(c.closed, {end}), {end}) AS day_to
        FROM cases c
        LEFT JOIN person_refs p ON p.org = c.org AND p.record_id = c.person_record_id
        LEFT JOIN household_refs h ON h.org = c.org AND h.record_id = c.household_record_id
        UNION ALL BY NAME
        SELECT 'social_risk_household'::source_code AS source, r.rowid + 4 * {_SOURCE_IDS} AS event_id,
               r.org::org_code AS org,
               true AS household_ref, true AS household_found, h.hid, r.children_count AS children,
               greatest(r.social_risk_from, {start}) AS day_from,
               least(coalesce(r.social_risk_to, {end}), {end}) AS day_to
        FROM household_recs r LEFT JOIN households h USING (household_key)
        WHERE r.social_risk_from <= {end} AND (r.social_risk_to IS NULL OR r.social_risk_to >= {start})""")
    for table in ("attendance", "sessions", "cases"):  # events hold all they said
        duck.execute(f"DROP TABLE {table}")
    # One row per event and calendar month it covers (clipped to that month), with the person's
    # attributes. A family (fid) is its household, else the person's household, else the person
    # alone: numbers above every household's.
    # Events of one day (contacts, attendance, sessions: nearly all) take their month from a table
    # of the period's days; the others are cut at the months they span.
    _timed(duck, "days", """
        CREATE TABLE days AS
        SELECT CAST(d.range AS DATE) AS day, m.month
        FROM months m, range(m.first_day, m.last_day + INTERVAL 1 DAY, INTERVAL 1 DAY) d""")
    # The contacts (nearly every row) go from the warehouse straight into the facts, joined to
    # their persons on the way: they are never a table of text in DuckDB. A contact whose person
    # is missing says why (person_missing), for the checks below, which then drop it.
    # The facts are a TEMP table: held uncompressed in memory (spilled to the scratch folder
    # beyond memory_limit). Compressing their 23 columns as ten million rows are written cost
    # more CPU than anything else in the run (4 of 40 s on the national year); memory 0.7 GB more.
    # DuckDB cannot tell how long a stream is and guesses one row, so it would build its hash
    # tables on the contacts; in the order written, they are built on the person records and days.
    with stage("read contacts"), _joins_as_written(duck):
        _from_batches(duck, """
            CREATE TEMP TABLE facts AS
            SELECT c.event_id, 'contact'::source_code AS source, r.org_code AS org, c.service_code,
                   NULL::case_type_code AS case_type, NULL::BOOLEAN AS repeat_victimisation,
                   c.day AS day_from, c.day AS day_to, c.minutes, NULL::BIGINT AS children,
                   r.consent, r.sex, r.age_group, r.municipality, r.family_municipality,
                   r.dv_victim, r.social_risk_family, r.disability, r.addiction, r.pid, r.fid, d.month,
                   CASE WHEN r.pid IS NOT NULL THEN NULL WHEN c.person_record_id IS NULL THEN 'unnamed'
                        WHEN r.found IS NULL THEN 'absent' ELSE 'unlinked' END::missing_code AS person_missing
            FROM {batches} c
            LEFT JOIN person_refs r ON r.org = c.org AND r.record_id = c.person_record_id
            JOIN days d ON d.day = c.day""", _TABLES["contacts"], contacts)
    with stage("linkage check"):
        _check_linked(duck)
    orphans = _scalar(duck, """SELECT (SELECT count(*) FROM events WHERE person_ref AND NOT person_found
                                       AND source = 'attendance')
                                    + (SELECT count(*) FROM facts WHERE person_missing = 'absent')""")
    if orphans:
        log.warning("%d contact or attendance row(s) name a person record that is not in the warehouse "
                    "(deleted or never sent); they are not counted", orphans)
    duck.execute("DELETE FROM facts WHERE person_missing IS NOT NULL")
    k = f"""
            SELECT e.event_id, e.source, e.org, e.service_code, e.case_type,
                   e.repeat_victimisation, e.day_from, e.day_to, e.minutes, e.children,
                   coalesce(p.consent, e.pid IS NULL) AS consent,
                   coalesce(p.sex, '{UNKNOWN}')::sex_code AS sex,
                   coalesce(p.age_group, '{UNKNOWN}')::age_group_code AS age_group,
                   coalesce(p.municipality, '{UNKNOWN}')::municipality_code AS municipality,
                   coalesce(hh.municipality, p.municipality, '{UNKNOWN}')::municipality_code AS family_municipality,
                   coalesce(p.dv_victim, false) AS dv_victim,
                   coalesce(p.social_risk_family, false) AS social_risk_family,
                   coalesce(p.disability, false) AS disability, coalesce(p.addiction, false) AS addiction,
                   e.pid, coalesce(e.hid, p.hid, {families} + e.pid) AS fid
            FROM events e
            LEFT JOIN persons p ON p.pid = e.pid
            LEFT JOIN households hh ON hh.hid = coalesce(e.hid, p.hid)
            WHERE NOT (e.source = 'attendance' AND e.pid IS NULL)
              AND NOT (e.source = 'case' AND e.pid IS NULL AND e.hid IS NULL)"""
    _timed(duck, "facts", f"""
        INSERT INTO facts BY NAME
        SELECT k.*, d.month FROM ({k} AND e.day_from = e.day_to) k JOIN days d ON d.day = k.day_from""")
    with stage("facts spanning days"):
        duck.execute(f"""
            INSERT INTO facts BY NAME
            SELECT k.* REPLACE (greatest(k.day_from, m.first_day) AS day_from, least(k.day_to, m.last_day) AS day_to),
                   m.month
            FROM ({k} AND e.day_from < e.day_to) k
            JOIN months m ON k.day_from <= m.last_day AND k.day_to >= m.first_day""")
    for table in ("events", "days"):
        duck.execute(f"DROP TABLE {table}")


@contextmanager
def _joins_as_written(duck: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Inside, each join builds its hash table on its right side (DuckDB does not reorder them)."""
    duck.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        yield
    finally:
        duck.execute("RESET disabled_optimizers")


def _check_linked(duck: duckdb.DuckDBPyConnection) -> None:
    """Raise UnlinkedRecordsError when an event (``events``; contacts: ``facts``) names a record with no key."""
    unlinked = duck.execute("""
        SELECT 'person' AS kind, source, count(*) FROM events
        WHERE person_found AND pid IS NULL GROUP BY source
        UNION ALL
        SELECT 'person', source, count(*) FROM facts WHERE person_missing = 'unlinked' GROUP BY source
        UNION ALL
        SELECT 'household', source, count(*) FROM events
        WHERE household_found AND hid IS NULL GROUP BY source
        ORDER BY 1, 2""").fetchall()
    # Person records of the period's persons naming a household record with no key: looked for
    # among the period's persons (ten million facts rows) only when there are such records at all.
    keyless = """FROM person_recs p JOIN household_recs h ON h.org = p.org AND h.record_id = p.household_record_id
                 WHERE h.household_key IS NULL"""
    if _scalar(duck, f"SELECT EXISTS (SELECT 1 {keyless})"):
        in_period = _scalar(duck, f"""
            SELECT count(*) {keyless} AND p.person_key IN (SELECT person_key FROM persons
                WHERE pid IN (SELECT pid FROM events UNION ALL SELECT pid FROM facts))""")
        if in_period:
            unlinked = sorted([*unlinked, ("household", "person", in_period)])
    if unlinked:
        found = "; ".join(f"{count} {source} row(s) name a {kind} record with no {kind} key"
                          for kind, source, count in unlinked)
        raise UnlinkedRecordsError(
            f"records in the period are not linked yet ({found}): run `interchange link` and compute again")


def _scalar(duck: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The value of an aggregate query, which always returns one row."""
    row = duck.execute(sql).fetchone()
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return row[0]


def _most_common(table: str, key: str, column: str) -> str:
    return f"""SELECT {key}, {column} FROM (
                   SELECT {key}, {column}, count(*) AS n FROM {table} WHERE {column} IS NOT NULL
                   GROUP BY {key}, {column})
               QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY n DESC, {column}) = 1"""


def _date(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _in(column: str, values: Iterable[str]) -> str:
    values = list(values)
    return f"{column} IN ({', '.join(_text(v) for v in values)})" if values else "false"


def _where(selection: Selection) -> str:
    """The SQL condition on facts that keeps the rows of one selection."""
    parts = [f"source = {_text(selection.source)}"]
    services = selection.services()
    if services is not None:
        parts.append(_in("service_code", services))
    if selection.case_types is not None:
        parts.append(_in("case_type", [str(t) for t in selection.case_types]))
    for case_flag, wanted in selection.case_flags.items():
        parts.append(f"{case_flag} IS {'TRUE' if wanted else 'NOT TRUE'}")
    for person_flag, wanted in selection.person_flags.items():
        parts.append(f"{person_flag} = {'true' if wanted else 'false'}")
    return "(" + " AND ".join(parts) + ")"


# --- one indicator ---------------------------------------------------------------------------


def _count_cells(duck: duckdb.DuckDBPyConnection, indicator: Indicator, consent: Consent) -> pd.DataFrame:
    """The cells of a count indicator: total first, then each breakdown's observed values."""
    assert indicator.count is not None
    rows = " OR ".join(_where(s) for s in indicator.from_)
    required = _required_persons(indicator)
    condition = ""
    if required is not None:
        # A table, so DuckDB knows how few they are and builds its join on them, not on the facts.
        duck.execute(f"CREATE OR REPLACE TEMP TABLE required AS {required}")
        condition = " AND pid IN (SELECT pid FROM required)"

    count = indicator.count
    municipality = "family_municipality" if count in _FAMILY_COUNTS else "municipality"
    # A day's offset in the period is below _DAYS, so id * _DAYS + offset names a (person, day) pair.
    day = "datediff('day', DATE '2000-01-01', {})"
    entity, figure, keep, expand = {
        "persons": ("pid", "count(DISTINCT entity)", "pid IS NOT NULL", ""),
        "households": ("fid", "count(DISTINCT entity)", "fid IS NOT NULL", ""),
        "children": (f"fid * {_MAX_CHILDREN + 1} + n.n", "count(DISTINCT entity)", "fid IS NOT NULL",
                     "JOIN numbers n ON n.n <= f.children"),
        "person_days": (f"pid * {_DAYS} + {day.format('f.day_from')}", "count(DISTINCT entity)", "pid IS NOT NULL",
                        ""),
        # Each family's days come from the union of its cases' spans (_covered_days_sql), not one row per day.
        "family_weeks": ("fid", "", "fid IS NOT NULL", ""),
        "contacts": ("event_id", "count(DISTINCT entity)", "true", ""),
        "sessions": ("event_id", "count(DISTINCT entity)", "true", ""),
        "cases": ("event_id", "count(DISTINCT entity)", "true", ""),
        "hours": ("event_id", "coalesce(sum(minutes), 0) / 60.0", "true", ""),
    }[count]
    if figure == "count(DISTINCT entity)" and entity == "event_id" and {s.source for s in indicator.from_} <= _ONE_DAY:
        figure = "count(*)"  # an event of one day is one row of the facts: no need to tell them apart
    # A table, not a view: the queries below read it several times, and the facts (tens of
    # millions of rows at national scale) are then filtered once. It holds only the columns read.
    used = {d for breakdown in indicator.disaggregations for d in breakdown}
    columns = [*(["f.minutes"] if count == "hours" else []),
               *(["f.day_from", "f.day_to"] if count == "family_weeks" else []),
               *(f"f.{municipality} AS municipality" if d == "municipality" else f"f.{d}"
                 for d in DIMENSIONS if d in used)]
    duck.execute(f"""
        CREATE OR REPLACE TEMP TABLE expanded AS
        SELECT {entity} AS entity, f.consent{"".join(", " + c for c in columns)}
        FROM facts f {expand}
        WHERE ({rows}){condition} AND {keep}""")
    try:
        found, total, consenting = _counted(duck, indicator, consent, figure)
    finally:
        duck.execute("DROP TABLE expanded")
        duck.execute("DROP TABLE IF EXISTS required")

    # What only the total holds (persons without consent, their contacts ...): disclosure control
    # withholds a total whose part of it is small, since total - (a breakdown's sum) would show it.
    cells = [{"breakdown": "total", **dict.fromkeys(DIMENSIONS, ALL), "value": float(total or 0),
              CONSENT_ONLY: float(total or 0) - float(consenting or 0)}]
    for is_total_row, *dims, value in found:
        if is_total_row:
            continue
        named = {d: (v if v is not None else ALL) for d, v in zip(DIMENSIONS, dims, strict=True)}
        cells.append({"breakdown": breakdown_name([d for d, v in zip(DIMENSIONS, dims, strict=True)
                                                   if v is not None]),
                      **named, "value": float(value or 0), CONSENT_ONLY: 0.0})
    frame = pd.DataFrame(cells)
    frame["numerator"] = frame["value"]
    frame["denominator"] = float("nan")
    return frame


def _counted(duck: duckdb.DuckDBPyConnection, indicator: Indicator, consent: Consent,
             figure: str) -> tuple[list[Any], Any, Any]:
    """The breakdown rows of ``expanded`` (as _breakdowns_sql), its total and its consenting total."""
    count = indicator.count
    if count == "family_weeks":
        found = duck.execute(_covered_days_sql(indicator.disaggregations, "consent")).fetchall()
        consenting = next((value for total, *_, value in found if total), 0)
        total = consenting if consent == "exclude" else next(
            value for _, *_, value in duck.execute(_covered_days_sql([], "true")).fetchall())
        return found, total, consenting
    found = duck.execute(_breakdowns_sql(figure, indicator.disaggregations, by_entity=count in _FEW_PER_ENTITY,
                                         per_person=count == "persons")).fetchall()
    consenting = next((value for total, *_, value in found if total), 0)
    total = consenting if consent == "exclude" else _scalar(duck, f"SELECT {figure} FROM expanded")
    return found, total, consenting


def _breakdowns_sql(figure: str, disaggregations: Iterable[tuple[str, ...]], *, by_entity: bool,
                    per_person: bool = False) -> str:
    """The query for the total and every breakdown of the consenting rows of ``expanded``: rows of
    (is_total, *DIMENSIONS, value), a dimension empty where the breakdown does not use it.

    With ``by_entity`` (a count of distinct persons or families), each breakdown counts over the
    distinct (entity, its dimensions) pairs rather than over every row: the same distinct count
    from a fraction of the rows. The dimensions a person or family has one value of (sex, age
    group, municipality) share one such projection with the total; month and org, of which an
    entity has many, get one each. Otherwise one GROUPING SETS pass, the empty set being the total.

    Those distinct rows are counted with count(*) where each entity is provably in one row per
    cell: when the grouping set names every column of the projection, or (``per_person``: the
    entity is a person) when the others are the person's own attributes, one value per person.
    """
    sets = [(), *(tuple(b) for b in disaggregations)]
    if by_entity:
        clusters: dict[str, list[tuple[str, ...]]] = {}
        for found in sets:
            clusters.setdefault("attributes" if set(found) <= _ENTITY_ATTRIBUTES else ",".join(found), []).append(found)
        groups = list(clusters.values())
    else:
        groups = [sets]
    parts = []
    for members in groups:
        used = [d for d in DIMENSIONS if any(d in m for m in members)]
        counted = figure
        source = (f"(SELECT DISTINCT entity{''.join(', ' + d for d in used)} FROM expanded WHERE consent)"
                  if by_entity else "expanded WHERE consent")
        if by_entity and all(set(used) - set(m) <= (_ENTITY_ATTRIBUTES if per_person else set()) for m in members):
            counted = "count(*)"  # each entity once per cell (see above)
        columns = ", ".join(d if d in used else f"NULL AS {d}" for d in DIMENSIONS)
        is_total = f"grouping({', '.join(used)}) = {2 ** len(used) - 1}" if used else "true"
        grouping = ", ".join("(" + ", ".join(m) + ")" for m in members)
        parts.append(f"SELECT {is_total} AS is_total, {columns}, {counted} AS value FROM {source} "
                     f"GROUP BY GROUPING SETS ({grouping})")
    return "\nUNION ALL\n".join(parts)


def _covered_days_sql(disaggregations: Iterable[tuple[str, ...]], where: str) -> str:
    """Family-weeks of the ``expanded`` rows that meet `where`: distinct (family, day) pairs / 7, for
    the total (the first column true) and each breakdown, as _breakdowns_sql gives them.

    The days of one family in one cell are the union of its rows' spans [day_from, day_to]. Taken
    in order of their first day, a span adds the days past the furthest day reached before it; so
    no row per day is needed (a case open all year would be 365).
    """
    parts = []
    for found in [(), *(tuple(b) for b in disaggregations)]:
        cells = "".join(f"{d}, " for d in found)
        columns = ", ".join(d if d in found else f"NULL AS {d}" for d in DIMENSIONS)
        parts.append(f"""
            SELECT {'true' if not found else 'false'} AS is_total, {columns},
                   sum(greatest(0, datediff('day', greatest(day_from, coalesce(reach + 1, day_from)), day_to) + 1))
                       / 7.0 AS value
            FROM (SELECT {cells}day_from, day_to,
                         max(day_to) OVER (PARTITION BY {cells}entity ORDER BY day_from, day_to
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                  FROM expanded WHERE {where})
            {'GROUP BY ' + ', '.join(found) if found else ''}""")
    return "\nUNION ALL\n".join(parts)


def _required_persons(indicator: Indicator) -> str | None:
    """The query for the persons (pid) who meet the person-level condition on ``facts`` (None when there is none)."""
    require = indicator.require
    if require is None:
        return None
    rows = " OR ".join(_where(s) for s in indicator.from_)
    having = []
    if require.min_distinct_services is not None:
        having.append(f"count(DISTINCT service_code) >= {int(require.min_distinct_services)}")
    if require.min_distinct_orgs is not None:
        having.append(f"count(DISTINCT org) >= {int(require.min_distinct_orgs)}")
    queries = []
    if having:
        queries.append(f"SELECT pid FROM facts WHERE ({rows}) AND pid IS NOT NULL "
                       f"GROUP BY pid HAVING {' AND '.join(having)}")
    if require.also_in:
        also = " OR ".join(_where(s) for s in require.also_in)
        queries.append(f"SELECT pid FROM facts WHERE ({also}) AND pid IS NOT NULL")
    return " INTERSECT ".join(f"({query})" for query in queries)


def _ratio_cells(indicator: Indicator, numerator: pd.DataFrame, denominator: pd.DataFrame) -> pd.DataFrame:
    """Numerator / denominator cell by cell, for the ratio's breakdowns; a zero denominator gives no value."""
    keep = set(indicator.breakdowns())
    key = ["breakdown", *DIMENSIONS]
    below = denominator[denominator["breakdown"].isin(keep)][[*key, "value"]].rename(columns={"value": "denominator"})
    above = numerator[numerator["breakdown"].isin(keep)][[*key, "value"]].rename(columns={"value": "numerator"})
    frame = below.merge(above, on=key, how="left")
    frame["numerator"] = frame["numerator"].fillna(0.0)
    frame["value"] = (frame["numerator"] / frame["denominator"]).where(frame["denominator"] > 0)
    parts = pd.concat([numerator[[*key, CONSENT_ONLY]], denominator[[*key, CONSENT_ONLY]]])
    frame = frame.merge(parts.groupby(key, as_index=False)[CONSENT_ONLY].max(), on=key, how="left")
    frame[CONSENT_ONLY] = frame[CONSENT_ONLY].fillna(0.0)
    return frame


# --- the whole catalogue -----------------------------------------------------------------------


def compute_indicators(engine: Engine, catalogue: Catalogue, period: Period, *,
                       consent: Consent = "exclude", orgs: Collection[str] | None = None,
                       indicators: Collection[str] | None = None, memory_limit: str = "1.5GB",
                       on_consent: Callable[[list[OrgConsent]], None] | None = None) -> pd.DataFrame:
    """Every indicator of ``catalogue`` for ``period``, in the cell-table shape (cells.CELL_COLUMNS).

    Args:
        engine: The warehouse, linked (``interchange link``) after its last person or household drop.
        catalogue: The indicator catalogue (catalogue.load_catalogue()).
        period: The period (periods.parse_period makes one from a label).
        consent: Persons whose records do not give consent_reporting = yes: "exclude" leaves
            them out of every cell; "totals_only" counts them in each indicator's total cell only.
        orgs: Count only records of these organisations (a programme's own); None for all.
        indicators: Compute only these codes (ratios bring their numerator and denominator along
            internally but return only what was asked); None for the whole catalogue.
        memory_limit: DuckDB's memory limit ("1.5GB", "500MB"); beyond it, work spills to the
            temporary folder. The process needs about 0.5 GB more (Python, the cells, Arrow batches).
        on_consent: Told, before any indicator is counted, each organisation's persons in the
            period and how many lack consent (indicators/consent.py); it may raise to stop the run.

    Returns:
        One row per cell: the total of every indicator, and each listed breakdown for the
        dimension values found in the data. Ratios whose denominator is 0 have an empty value.
        With consent "totals_only", one more column, ``consent_only``: on total cells, the part
        of the value that only the total counts (persons without consent; for a ratio, the
        larger of its numerator's and denominator's), 0 elsewhere; disclosure control withholds
        a total whose part is small.

    Raises:
        UnlinkedRecordsError: records in scope have no person or household key yet.
        KeyError: an indicator code in ``indicators`` is not in the catalogue.
    """
    if consent not in ("exclude", "totals_only"):
        raise ValueError(f"consent must be 'exclude' or 'totals_only', not {consent!r}")
    wanted = catalogue.codes if indicators is None else [catalogue.indicator(code).code for code in indicators]
    needed = _with_parts(catalogue, wanted)

    # A DuckDB database in a private temporary folder (0700, removed at the end), not in memory:
    # its tables are stored compressed and spill to disk beyond `memory_limit`, which keeps a
    # national year (ten million contacts) below 2 GB instead of 8 GB, and no slower. (The facts,
    # a TEMP table, are not compressed, but spill as well: see _build_facts.)
    scratch = tempfile.TemporaryDirectory(prefix="interchange-indicators-")
    duck = duckdb.connect(str(Path(scratch.name) / "facts.duckdb"))
    try:
        duck.execute(f"SET memory_limit = {_text(memory_limit)}")
        duck.execute(f"SET temp_directory = {_text(str(Path(scratch.name) / 'spill'))}")
        # Row order inside DuckDB never matters (cells are sorted at the end); not keeping it saves memory.
        duck.execute("SET preserve_insertion_order = false")
        with arrow_reader(engine, connections=_READERS) as reader:
            with stage("read warehouse"):
                _read_warehouse(reader, duck, period, orgs)
            _build_facts(duck, period, _contacts(reader, period, orgs))
        if on_consent is not None:
            with stage("consent by organisation"):
                found = consent_by_org(duck)
            on_consent(found)
        computed: dict[str, pd.DataFrame] = {}
        for code in needed:
            indicator = catalogue.indicator(code)
            if not indicator.is_ratio:
                with stage(code):
                    computed[code] = _count_cells(duck, indicator, consent)
        for code in needed:
            indicator = catalogue.indicator(code)
            if indicator.is_ratio:
                computed[code] = _ratio_cells(indicator, computed[indicator.numerator or ""],
                                              computed[indicator.denominator or ""])
    finally:
        duck.close()
        scratch.cleanup()

    frames = []
    for code in wanted:
        indicator = catalogue.indicator(code)
        frame = computed[code].copy()
        frame["indicator"] = code
        frame["period"] = period.label
        frame["unit"] = indicator.unit
        frame["sensitivity"] = indicator.sensitivity
        order = {name: n for n, name in enumerate(indicator.breakdowns())}
        frame["_order"] = frame["breakdown"].map(order)
        frames.append(frame.sort_values(["_order", *DIMENSIONS], kind="stable"))
    columns = [*CELL_COLUMNS, CONSENT_ONLY] if consent == "totals_only" else list(CELL_COLUMNS)
    if not frames:
        return pd.DataFrame(columns=columns)
    cells = pd.concat(frames, ignore_index=True)[columns]
    for column in ("value", "numerator", "denominator", *columns[len(CELL_COLUMNS):]):
        cells[column] = cells[column].astype("float64")
    for column in ("indicator", "period", "breakdown", *DIMENSIONS, "unit", "sensitivity"):
        cells[column] = cells[column].astype(object)
    return cells


def _with_parts(catalogue: Catalogue, codes: Iterable[str]) -> list[str]:
    """The codes with every ratio's numerator and denominator, in catalogue order."""
    needed = set(codes)
    for code in list(needed):
        indicator = catalogue.indicator(code)
        if indicator.is_ratio:
            needed |= {indicator.numerator or "", indicator.denominator or ""}
    return [code for code in catalogue.codes if code in needed]


__all__ = ["ADULT_AGE", "CONSENT_ONLY", "UNKNOWN", "Consent", "UnlinkedRecordsError", "compute_indicators"]
