"""The workspace file `interchange.yaml`: one pydantic model, validated before anything runs.

Secrets never live in this file: an HTTP source names the environment variable (or the
Prefect Secret block) that holds its token, and a database password comes from the
`INTERCHANGE_DATABASE_URL` environment variable, which overrides `database_url`.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from interchange.contract.records import Kind
from interchange.contract.values import MunicipalityCode, OrgCode
from interchange.errors import InterchangeError
from interchange.i18n import CATALOGUE, LANGS, say
from interchange.partner.columns import ColumnMapping
from interchange.tabular import ReadLimits
from interchange.tabular import limits as default_limits
from interchange.warehouse.address import DatabaseUrlAmbiguous, DatabaseUrlError, normal_url, password_of
from interchange.workspace.urls import check_base_url

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

CONFIG_FILE = "interchange.yaml"
DATABASE_URL_ENV = "INTERCHANGE_DATABASE_URL"
WORKSPACE_ENV = "INTERCHANGE_WORKSPACE"
DEFAULT_DATABASE_URL = "sqlite:///warehouse.sqlite"
_LOWEST_MIN_COUNT = 3


class ConfigError(InterchangeError, ValueError):
    """The workspace file is missing or wrong; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedDrop(_Strict):
    """When a source's regular drop is due: `{every: month, by_day: 5}` = each month's drop by the 5th.

    A source whose drop has not arrived since the period began is overdue after `by_day`
    (`interchange status` flags it; the ingest flow sends an alert once per period).
    """

    every: Literal["week", "month", "quarter"] = Field(description="How often the partner sends a drop.")
    by_day: int = Field(ge=1, le=31, description="Day of the period (week: 1 = Monday) by which it is due.")

    @model_validator(mode="after")
    def _day_in_period(self) -> ExpectedDrop:
        if self.every == "week" and self.by_day > 7:
            raise ValueError(f"by_day {self.by_day} is not a day of the week (1 = Monday ... 7 = Sunday)")
        return self


class InboxSource(_Strict):
    """Drop files in `inbox/<org>/`."""

    type: Literal["inbox"] = "inbox"
    settle_seconds: float = Field(
        5.0, ge=0, description="A drop without a manifest changed more recently than this may still be "
        "being written; 0 still never takes a file open for writing (docs/ingest.md).")
    max_file_bytes: int = Field(2 * 1024**3, gt=0, description="Larger drop files are refused.")
    # Bounds on what reading one file may hold in memory (docs/ingest.md, "What the hub refuses").
    max_columns: int = Field(default_limits.MAX_COLUMNS, ge=1, le=100_000,
                             description="A header with more columns refuses the file.")
    # csv's own field limit (131,072) stays above any cell this allows.
    max_cell_chars: int = Field(default_limits.MAX_CELL_CHARS, ge=64, le=131_072,
                                description="A longer cell is a row problem (value.too_long).")
    max_line_chars: int = Field(default_limits.MAX_LINE_CHARS, ge=1024,
                                description="A longer CSV record or JSON line stops reading (file.line_too_long).")
    max_unpacked_bytes: int = Field(default_limits.MAX_UNPACKED_BYTES, gt=0,
                                    description="An XLSX file unpacking to more is refused (file.unsafe).")
    max_shared_strings_bytes: int = Field(
        default_limits.MAX_SHARED_STRINGS_BYTES, gt=0,
        description="An XLSX file whose shared strings unpack to more is refused (file.unpacked_too_large).")
    max_json_depth: int = Field(default_limits.MAX_JSON_DEPTH, ge=1, le=500,
                                description="A JSON line nested deeper is a row problem (row.json).")
    expected_drop: ExpectedDrop | None = Field(None, description="When this source's regular drop is due.")

    def read_limits(self) -> ReadLimits:
        return ReadLimits(max_columns=self.max_columns, max_cell_chars=self.max_cell_chars,
                          max_line_chars=self.max_line_chars, max_unpacked_bytes=self.max_unpacked_bytes,
                          max_shared_strings_bytes=self.max_shared_strings_bytes,
                          max_json_depth=self.max_json_depth)


class HttpSourceConfig(_Strict):
    """A partner API pulled with an `updated_since` cursor (docs/http-source.md)."""

    type: Literal["http"] = "http"
    name: str = Field("api", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$",
                      description="Name of this source within the organisation.")
    base_url: str = Field(description="Address up to, not including, the record kind.")
    kinds: list[Kind] = Field(description="Record kinds to pull, in this order.")
    token_env: str | None = Field(None, pattern=r"^[A-Z_][A-Z0-9_]*$",
                                  description="Environment variable that holds the bearer token.")
    token_block: str | None = Field(None, description="Prefect Secret block that holds the token.")
    page_size: int = Field(500, ge=1, le=10_000)
    timeout_s: float = Field(30.0, gt=0)
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_s: float = Field(0.5, ge=0)
    expected_drop: ExpectedDrop | None = Field(None, description="When this source's regular pull is due.")

    @model_validator(mode="after")
    def _one_token_place(self) -> HttpSourceConfig:
        if (self.token_env is None) == (self.token_block is None):
            raise ValueError("give exactly one of token_env or token_block (never the token itself)")
        return self

    @field_validator("base_url")
    @classmethod
    def _plain_url(cls, value: str) -> str:
        check_base_url(value)  # raises ValueError naming what is wrong, never echoing the URL
        return value


Source = Annotated[InboxSource | HttpSourceConfig, Field(discriminator="type")]


def _inbox_only() -> list[Source]:
    return [InboxSource()]


# Enough of RFC 5321 to catch a typo (no spaces, one @, a dot in the domain); the SMTP server judges the rest.
EmailAddress = Annotated[str, Field(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$", max_length=254)]


class Organisation(_Strict):
    code: OrgCode = Field(description="Short code used in folders, files and records.")
    name: str = Field(min_length=1, description="Official name (Lithuanian).")
    municipality: MunicipalityCode
    sources: list[Source] = Field(default_factory=_inbox_only)
    columns: ColumnMapping | None = Field(
        None, description="The organisation's own column names mapped to the contract's: the same "
                          "{their header: contract column} (per record kind, or for all) as its --columns file.")
    contacts: list[EmailAddress] = Field(
        default_factory=list, description="Where notifications to the organisation go (notifications: smtp).")

    @model_validator(mode="after")
    def _unique_source_names(self) -> Organisation:
        names = [s.name for s in self.sources if isinstance(s, HttpSourceConfig)]
        if len(names) != len(set(names)):
            raise ValueError("HTTP sources of one organisation need distinct names")
        if sum(isinstance(s, InboxSource) for s in self.sources) > 1:
            raise ValueError("an organisation has at most one inbox")
        return self


class Target(_Strict):
    service: str = Field(description="A service code of the catalogue (`interchange codes services`).")
    persons: int | None = Field(None, ge=0)
    contacts: int | None = Field(None, ge=0)
    sessions: int | None = Field(None, ge=0)

    @field_validator("service")
    @classmethod
    def _known_service(cls, code: str) -> str:
        # A misspelt code would count nothing against its target, and the programme's progress
        # would show 0 % for a service that is delivered every day.
        from interchange.contract.services import find_service

        service = find_service(code)
        if service is None:
            raise PydanticCustomError("config_unknown_service", "'{service}' is not a service code of the "
                                      "catalogue (interchange codes services lists them)", {"service": code})
        return service.code  # as the records carry it, however it was capitalised here

    @field_validator("contacts", "sessions")
    @classmethod
    def _a_figure_the_service_reports(cls, value: int | None, info: ValidationInfo) -> int | None:
        # A group service is reported as sessions and an individual one as contacts: a target
        # in the other figure could never be reached.
        error_type, sentence, unreachable_for = _UNREACHABLE_FIGURE[str(info.field_name)]
        if value is not None and _mode_of(info.data.get("service")) == unreachable_for:
            raise PydanticCustomError(error_type, sentence, {"service": info.data["service"]})
        return value


# figure -> (error type, its English, the service mode whose records never carry that figure)
_UNREACHABLE_FIGURE = {
    "contacts": ("config_group_contacts", "{service} is a group service, counted in sessions, not contacts", "group"),
    "sessions": ("config_individual_sessions", "{service} is an individual service, counted in contacts, not "
                 "sessions", "individual"),
}


def _mode_of(service_code: str | None) -> str | None:
    """How a (known) service is reported: individual (contacts), group (sessions) or either."""
    from interchange.contract.services import find_service

    service = find_service(service_code) if service_code else None
    return None if service is None else service.mode.value


class Programme(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    name: str
    start: date
    end: date
    orgs: list[OrgCode] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    long_term_persons: int | None = Field(
        None, ge=0, description="Distinct persons with at least two different services.")

    @field_validator("end")
    @classmethod
    def _dates_in_order(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError("end is before start")
        return end


class ExpectationSettings(_Strict):
    directory: str | None = Field(
        None, description="Folder of the reviewed suites, relative to the workspace; default: the shipped ones.")
    period_days: int = Field(366, ge=1, description="How far back a record's date may lie.")
    min_linkage_share: float = Field(0.8, ge=0, le=1)
    min_known_reference_share: float = Field(0.9, ge=0, le=1)
    min_in_period_share: float = Field(0.99, ge=0, le=1)


class LinkageSettings(_Strict):
    """Thresholds of person linkage: the model's probability that two records are one person."""

    lower: float = Field(0.5, ge=0, le=1, description="Pairs from this up to `upper` go to the review queue.")
    upper: float = Field(0.95, ge=0, le=1, description="Pairs at or above this are linked without review.")
    spark_master: str | None = Field(
        None, min_length=1,
        description="Score persons on Spark at this master URL (spark://host:7077, local[4]); "
                    "default: DuckDB inside the flow's process. Needs pip install 'interchange[spark]' and Java 17.")
    spark_config: dict[str, str] = Field(
        default_factory=dict, description="Spark settings for that session, e.g. spark.executor.memory: 8g.")

    @field_validator("upper")
    @classmethod
    def _above_lower(cls, upper: float, info: ValidationInfo) -> float:
        lower = info.data.get("lower")
        if lower is not None and upper < lower:
            raise ValueError(f"upper ({upper}) is below lower ({lower})")
        return upper

    @field_validator("spark_master")
    @classmethod
    def _spark_url(cls, master: str | None) -> str | None:
        # Spark's own rule; checked here so that a typo is a config error, not a Java gateway
        # that exits during the nightly run.
        if master is not None and not (master == "yarn" or master.startswith(("local", "spark://", "k8s://"))):
            raise ValueError(f"{master!r} is not a Spark master URL: yarn, or local[N], spark://host:port, "
                             "k8s://https://host:port")
        return master


class AlertSettings(_Strict):
    """Where failure alerts go: a JSON webhook whose URL is in an environment variable (never in the file)."""

    webhook_url_env: str | None = Field(
        None, pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Environment variable holding the webhook URL; no alerts when unset or empty.")
    timeout_s: float = Field(10.0, gt=0, le=120, description="How long to wait for the webhook to answer.")


class SmtpSettings(_Strict):
    """The municipality's SMTP server; its password comes from the environment variable `password_env`."""

    host: str = Field(min_length=1, pattern=r"^[A-Za-z0-9.\-\[\]:]+$", description="The server's name or address.")
    port: int = Field(587, ge=1, le=65535, description="587 for STARTTLS, 465 for SSL, 25 inside a trusted network.")
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="starttls: upgrade the connection; ssl: TLS from the start; none: plain text "
                                "(only inside the hub's own network).")
    user: str | None = Field(None, min_length=1, description="Login name, when the server wants one.")
    password_env: str | None = Field(None, pattern=r"^[A-Z_][A-Z0-9_]*$",
                                     description="Environment variable that holds the password (never the file).")
    from_address: EmailAddress = Field(description="The sender of every notification.")
    ca_file: str | None = Field(None, description="CA certificates to trust (PEM), relative to the workspace; "
                                                  "default: the system's.")
    timeout_s: float = Field(30.0, gt=0, le=300, description="How long to wait for the server.")

    @model_validator(mode="after")
    def _password_with_user(self) -> SmtpSettings:
        if (self.user is None) != (self.password_env is None):
            raise ValueError("give user and password_env together (the password itself never in this file)")
        return self


class NotificationSettings(_Strict):
    """E-mail to partners when something of theirs needs them (docs/operations.md, "Notifications")."""

    smtp: SmtpSettings | None = Field(None, description="No e-mail is sent without it.")
    portal_url: str | None = Field(None, description="Where a partner reads its receipts; named in every e-mail.")

    @field_validator("portal_url")
    @classmethod
    def _plain_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
                raise ValueError("portal_url must be an http:// or https:// address without a user name or password")
        return value


class PublishingSettings(_Strict):
    """Publishing for the ministry (docs/publishing.md): disclosure control and where exports go."""

    # Before min_count: its check reads this (pydantic validates fields in this order).
    disclosure_control_off_acknowledged: bool = Field(
        False, description="Allows a min_count below 3, which all but turns disclosure control off; "
                           "only with the ministry's written agreement.")
    min_count: int = Field(
        5, ge=1, description="Counts from 1 to min_count - 1 are suppressed (primary suppression); 0 is shown.")
    dv_min_count: int = Field(
        10, ge=1, description="The same for cells built on domestic-violence data (stricter).")
    consent: Literal["exclude", "totals_only"] = Field(
        "exclude", description="Records without consent_reporting: left out, or counted only in total cells.")
    outbox: str = Field("outbox/ministry", description="Folder of the approved exports, relative to the workspace.")
    catalogue: str | None = Field(
        None, description="The workspace's indicator catalogue file, relative to the workspace (docs/indicators.md); "
                          "default: the shipped catalogue.")

    @field_validator("min_count")
    @classmethod
    def _disclosure_control_on(cls, value: int, info: ValidationInfo) -> int:
        # 1 suppresses nothing and 2 only the ones: counts of two persons would leave the hub.
        if value < _LOWEST_MIN_COUNT and not info.data.get("disclosure_control_off_acknowledged"):
            raise PydanticCustomError(
                "config_min_count_off", "{value} all but turns disclosure control off: use 3 or more (default 5), "
                "or acknowledge it with publishing.disclosure_control_off_acknowledged: true", {"value": value})
        return value

    @field_validator("dv_min_count")
    @classmethod
    def _dv_not_looser(cls, value: int, info: ValidationInfo) -> int:
        general = info.data.get("min_count")
        if general is not None and value < general:
            raise ValueError(f"dv_min_count ({value}) is below min_count ({general}): DV cells need the stricter rule")
        return value


class WebSettings(_Strict):
    """The web application (`interchange serve`): sessions, login throttling, uploads (docs/web.md)."""

    session_idle_minutes: int = Field(30, ge=1, le=24 * 60,
                                      description="A session unused this long ends; the user logs in again.")
    session_max_hours: int = Field(12, ge=1, le=24 * 14,
                                   description="A session ends this long after its login, however busy.")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Mark cookies Secure: auto = when the request came over HTTPS (directly or, from a "
                            "trusted proxy, X-Forwarded-Proto: https).")
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Addresses whose X-Forwarded-For and X-Forwarded-Proto headers are believed (a reverse proxy).")
    max_upload_bytes: int = Field(50 * 1024**2, gt=0,
                                  description="A larger upload is refused (at most the inbox's max_file_bytes).")
    login_failures_per_account: int = Field(
        5, ge=1, description="Failed logins of one account within throttle_minutes before it must wait.")
    login_failures_per_address: int = Field(
        20, ge=1, description="Failed logins from one client address within throttle_minutes before it must wait.")
    throttle_minutes: int = Field(15, ge=1, le=24 * 60,
                                  description="The window failed logins are counted in, and the wait after.")


class WorkspaceConfig(_Strict):
    """Everything `interchange.yaml` may say."""

    config_version: Literal[1] = 1
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; a relative SQLite path is inside the workspace. "
        f"{DATABASE_URL_ENV} overrides it (use it for passwords).")
    organisations: list[Organisation] = Field(min_length=1)
    programmes: list[Programme] = Field(default_factory=list)
    expectations: ExpectationSettings = Field(default_factory=ExpectationSettings)
    linkage: LinkageSettings = Field(default_factory=LinkageSettings)
    publishing: PublishingSettings = Field(default_factory=PublishingSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)

    @field_validator("database_url")
    @classmethod
    def _no_password(cls, value: str) -> str:
        try:
            url = normal_url(value)
        except DatabaseUrlAmbiguous as exc:
            raise PydanticCustomError("config_database_url_ambiguous", "{url} can be read more than one way",
                                      {"url": exc.url}) from None
        except DatabaseUrlError:
            raise PydanticCustomError("config_database_url", "not a database URL the hub can open") from None
        if password_of(url):
            raise ValueError(f"holds a password: put the URL in {DATABASE_URL_ENV} instead")
        return value

    # Field validators, not a model validator, so that the error names the key it is about.
    @field_validator("organisations")
    @classmethod
    def _unique_codes(cls, organisations: list[Organisation]) -> list[Organisation]:
        codes = [o.code for o in organisations]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            keys = " and ".join(f"organisations.{i}.code" for i, c in enumerate(codes) if c == code)
            raise ValueError(f"{keys} repeat the code {code}")
        return organisations

    @field_validator("programmes")
    @classmethod
    def _known_orgs(cls, programmes: list[Programme], info: ValidationInfo) -> list[Programme]:
        if "organisations" not in info.data:
            return programmes  # the organisations are wrong already, and reported
        codes = {o.code for o in info.data["organisations"]}
        for index, programme in enumerate(programmes):
            unknown = [c for c in programme.orgs if c not in codes]
            if unknown:
                raise ValueError(f"programmes.{index}.orgs names unknown organisations: {', '.join(unknown)}")
        return programmes

    def organisation(self, code: str) -> Organisation:
        for org in self.organisations:
            if org.code == code:
                return org
        raise KeyError(code)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML would keep the last silently),
    and leaves dates as text: YAML's own date reading fails on 2026-02-30 with a bare ValueError,
    pydantic's names the key."""

    yaml_implicit_resolvers = {  # noqa: RUF012 (yaml's own class attribute, replaced, never mutated)
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' is written twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_config(text: str, *, origin: str = CONFIG_FILE) -> WorkspaceConfig:
    """The validated config; a ConfigError naming `origin` and each bad key otherwise."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", "") or ""
        # Only our own duplicate-key sentence is repeated: a parser message may quote the file.
        detail = f": {problem}" if problem.startswith("the key ") else ""
        raise ConfigError(f"{origin}: not valid YAML{where}{detail}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of keys (database_url, organisations, ...)")
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        said = {lang: f"{origin}:\n" + "\n".join(_describe(e, lang) for e in exc.errors()) for lang in LANGS}
        error = ConfigError(said["en"])
        error.said = said
        raise error from None


# Pydantic's checks and ours whose words are in the catalogue (both languages); any other is said
# in pydantic's English.
_WORDS = {
    "config_unknown_service": "error.config_unknown_service",
    "config_min_count_off": "error.config_min_count_off",
    "config_group_contacts": "error.config_group_contacts",
    "config_individual_sessions": "error.config_individual_sessions",
    "config_database_url": "error.database_url_form",
    "config_database_url_ambiguous": "error.database_url_ambiguous",
    "date_parsing": "error.config_not_a_date",
    "date_from_datetime_parsing": "error.config_not_a_date",
    "date_from_datetime_inexact": "error.config_not_a_date",
    "date_type": "error.config_not_a_date",
    # pydantic's own, most often met in a hand-written file
    "missing": "error.config_missing_key",
    "extra_forbidden": "error.config_unknown_key",
    "literal_error": "error.config_one_of",
    "greater_than_equal": "error.config_at_least",
    "greater_than": "error.config_more_than",
    "less_than_equal": "error.config_at_most",
    "int_parsing": "error.config_not_a_whole_number",
    "int_type": "error.config_not_a_whole_number",
    "int_from_float": "error.config_not_a_whole_number",
    "float_parsing": "error.config_not_a_number",
    "float_type": "error.config_not_a_number",
    "bool_parsing": "error.config_not_yes_or_no",
    "bool_type": "error.config_not_yes_or_no",
    "string_type": "error.config_not_text",
    "string_too_short": "error.config_empty",
    "string_pattern_mismatch": "error.config_pattern",
    "list_type": "error.config_not_a_list",
}


def _describe(err: Any, lang: str = "en") -> str:
    key = ".".join(str(part) for part in _key_path(err["loc"])) or "(top level)"
    message = err["msg"]
    if err["type"] in _WORDS:
        message = say(_WORDS[err["type"]], lang, **(err.get("ctx") or {}))
    elif f"problem.{err['type']}" in CATALOGUE:  # the contract's own checks carry a code, not a sentence
        message = CATALOGUE[f"problem.{err['type']}"][LANGS.index(lang)].format_map(_Blank(err.get("ctx") or {}))
    elif err["type"] == "value_error":  # our own checks: their sentence, without "Value error, "
        message = message.removeprefix("Value error, ")
    elif err["type"] == "union_tag_invalid":  # pydantic's message repeats the value given
        message = f"type must be one of {err['ctx']['expected_tags']}"
    # No input value in the message: a misplaced token must not end up in a log.
    return f"  {key}: {message}"


def _key_path(loc: tuple) -> list:
    """The keys as written in the file: pydantic puts a source's `type` (its tag) in the path."""
    return [part for i, part in enumerate(loc)
            if not (part in _SOURCE_TAGS and i >= 2 and loc[i - 2] == "sources" and isinstance(loc[i - 1], int))]


_SOURCE_TAGS = ("inbox", "http")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def load_config(root: Path) -> WorkspaceConfig:
    path = root / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(key="error.config_missing", path=path, root=root)
    return parse_config(path.read_text(encoding="utf-8"), origin=str(path))


def database_url(config: WorkspaceConfig, root: Path) -> str:
    """The URL to connect to: the environment override, else the file's, SQLite paths made absolute."""
    override = os.environ.get(DATABASE_URL_ENV)
    url = read_database_env(override) if override else normal_url(config.database_url)  # the file's: checked
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            url = url.set(database=str((root / path).resolve()))
    return url.render_as_string(hide_password=False)


def read_database_env(text: str) -> URL:
    """INTERCHANGE_DATABASE_URL's value as a URL; a ConfigError naming the variable when it is not one the
    hub can open, or can be read more than one way (the URL shown with its password masked)."""
    try:
        return normal_url(text)
    except DatabaseUrlAmbiguous as exc:
        raise ConfigError(key="error.database_env_ambiguous", env=DATABASE_URL_ENV, url=exc.url) from None
    except DatabaseUrlError:
        raise ConfigError(key="error.database_env_form", env=DATABASE_URL_ENV) from None


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or None (another backend, or in memory)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)
