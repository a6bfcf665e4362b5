"""`interchange init DIR`: a working workspace for the Kretinga partners."""

from __future__ import annotations

import os
from pathlib import Path

from interchange.workspace.config import (
    CONFIG_FILE,
    DATABASE_URL_ENV,
    DEFAULT_DATABASE_URL,
    parse_config,
    read_database_env,
)
from interchange.workspace.database import record_database
from interchange.workspace.layout import Workspace

_DEFAULT_LINE = f"database_url: {DEFAULT_DATABASE_URL}"

EXAMPLE_CONFIG = """\
# Interchange workspace. Every key is checked when a command starts; a wrong key or
# value stops it with a message naming the key. Secrets never go here:
#   - the database password: set INTERCHANGE_DATABASE_URL, which overrides database_url;
#   - an API token: set the environment variable named by token_env (or a Prefect
#     Secret block named by token_block).
config_version: 1

# SQLite file inside this folder by default; for PostgreSQL, e.g.
#   postgresql+psycopg://interchange@db.example.lt/interchange
database_url: sqlite:///warehouse.sqlite

organisations:
  - code: kretingos-spc
    name: Kretingos socialinių paslaugų centras
    municipality: LT-22
    sources:
      - type: inbox            # drop files in inbox/kretingos-spc/
        settle_seconds: 5      # a file without a manifest changed more recently may still be written to
        # expected_drop: {every: month, by_day: 5}   # flagged by `interchange status` after the 5th
    # columns:                 # its own column names, as in its --columns file (docs/ingest.md)
    #   Įrašo Nr.: record_id
  - code: kretingos-mimc
    name: Kretingos moterų informacijos ir mokymo centras
    municipality: LT-22
    sources:
      - type: inbox
      # A partner API, pulled with an updated_since cursor (docs/http-source.md):
      # - type: http
      #   name: api
      #   base_url: https://partner.example.lt/api/v1
      #   kinds: [person, case, contact, group_session]
      #   token_env: KRETINGOS_MIMC_TOKEN
  - code: kretingos-dvc
    name: Kretingos dienos veiklos centras
    municipality: LT-22
  - code: kretingos-sps
    name: Kretingos rajono savivaldybės Socialinės paramos skyrius
    municipality: LT-22

programmes:
  - code: kompleksines-kretinga
    name: Kompleksinių socialinių paslaugų plėtra Kretingos miesto gyventojams
    start: 2026-05-07
    end: 2028-05-07
    orgs: [kretingos-spc, kretingos-mimc]
    long_term_persons: 50
    targets:
      - {service: psychologist_child, persons: 10, contacts: 100}
      - {service: psychotherapist_adult, persons: 15, contacts: 150}
      - {service: addiction_counsellor, persons: 15, contacts: 150}
      - {service: legal_consultation, persons: 16, contacts: 200}
      - {service: therapeutic_group, persons: 20, sessions: 50}
      - {service: parenting_skills, persons: 20, sessions: 30}

# Failure alerts: a JSON webhook (flow, source, batch, counts; never a record value).
# The URL may hold a token, so it comes from the environment variable named here.
# alerts:
#   webhook_url_env: INTERCHANGE_ALERT_WEBHOOK

# Publishing for the ministry (docs/publishing.md); these are the defaults.
# publishing:
#   min_count: 5            # counts 1-4 are suppressed in everything that leaves the hub
#   dv_min_count: 10        # cells built on domestic-violence data: counts 1-9 suppressed
#   consent: exclude        # records without consent_reporting: exclude, or totals_only
#   outbox: outbox/ministry # approved exports: <outbox>/<period>/v<N>/
#   catalogue: indicators.yaml  # the workspace's own indicators (docs/indicators.md); default: the shipped ones

# Batch checks (Great Expectations suites); these are the defaults.
expectations:
  period_days: 366                  # how far back a record's date may lie
  min_linkage_share: 0.8            # persons with a pseudonym or name encodings (warning below)
  min_known_reference_share: 0.9    # contacts whose person is known (batch held below)
  min_in_period_share: 0.99         # records dated inside the period (batch held below)
"""


def init_workspace(root: Path, *, config_text: str = EXAMPLE_CONFIG) -> Workspace:
    """Create `root` with the config, its folders and an up-to-date warehouse.

    An existing config is never overwritten (FileExistsError).
    """
    from interchange.warehouse.engine import warehouse

    root.mkdir(parents=True, exist_ok=True)
    path = root / CONFIG_FILE
    if path.exists():
        raise FileExistsError(path)
    config_text = _with_database_in_use(config_text)
    parse_config(config_text, origin=str(path))  # never write a config that would not load
    path.write_text(config_text, encoding="utf-8")
    workspace = Workspace(root.resolve())
    workspace.make_folders()
    try:
        with warehouse(workspace.database_url):  # made and upgraded on opening
            pass
    except BaseException:
        path.unlink()  # a database that cannot be opened yet: `init` again once it can, not "already exists"
        raise
    record_database(workspace)  # from now on, another database is refused (workspace.database)
    return workspace


def _with_database_in_use(config_text: str) -> str:
    """The config with the database init really uses: INTERCHANGE_DATABASE_URL's, without its password,
    in place of the default SQLite line. The file then tells the truth to a shell without the variable."""
    override = os.environ.get(DATABASE_URL_ENV)
    if not override or _DEFAULT_LINE not in config_text:
        return config_text
    from interchange.warehouse.address import shown

    url = shown(read_database_env(override))
    quoted = "'" + url.replace("'", "''") + "'"  # YAML's single quotes: a query may hold '#' or ': '
    return config_text.replace(_DEFAULT_LINE, f"# From {DATABASE_URL_ENV} when this workspace was made; the "
                                              f"password stays in the variable.\ndatabase_url: {quoted}", 1)
