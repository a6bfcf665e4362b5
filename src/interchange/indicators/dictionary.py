"""The data dictionary of everything the ministry reads: its warehouse tables and the exported files.

One table of column descriptions in Lithuanian and English, rendered as
docs/data-dictionary.md (checked against this module by the tests) and as the README
sheet of every XLSX export, so the two can never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass

from interchange.indicators.cells import ALL
from interchange.indicators.export_format import DECIMALS, PART_DECIMALS


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    lt: str
    en: str


_CELL_KEY = (
    Column("indicator", "text", "Rodiklio kodas iš rodiklių katalogo.",
           "Indicator code from the indicator catalogue."),
    Column("breakdown", "text",
           "Pagal kurias dimensijas suskaidyta, sujungtos „+“ (pvz. „month+sex“); „total“ – visa suma.",
           "Which dimensions the cell breaks down by, joined by \"+\" (e.g. \"month+sex\"); \"total\" for none."),
    Column("month", "text", f"Mėnuo „YYYY-MM“ laikotarpio viduje; „{ALL}“ – visi mėnesiai.",
           f"Month \"YYYY-MM\" inside the period; \"{ALL}\" for all months."),
    Column("municipality", "text", f"Savivaldybės kodas (pvz. LT-22); „{ALL}“ – visos.",
           f"Municipality code (e.g. LT-22); \"{ALL}\" for all."),
    Column("org", "text", f"Organizacijos kodas; „{ALL}“ – visos organizacijos (asmuo skaičiuojamas kartą).",
           f"Organisation code; \"{ALL}\" for all organisations (a person is counted once)."),
    Column("sex", "text", f"Lytis pagal duomenų sutartį; „unknown“ – nenurodyta; „{ALL}“ – visos.",
           f"Sex as the record contract codes it; \"unknown\" when not given; \"{ALL}\" for all."),
    Column("age_group", "text",
           f"„child“ (jaunesnis nei 18 m. laikotarpio pabaigoje) arba „adult“; „{ALL}“ – visi.",
           f"\"child\" (under 18 at the period's end) or \"adult\"; \"{ALL}\" for all."),
)
_FIGURES = (
    Column("value", "number", "Skelbiama reikšmė; tuščia, kai langelis nuslėptas arba kai reikšmė netaikoma – "
           "santykis, kurio vardiklis 0 (suppressed = false).",
           "The published figure; empty when the cell is suppressed, or not applicable: a ratio whose denominator "
           "is 0 (suppressed = false)."),
    Column("numerator", "number", "Santykiams – skaitiklis, kiekiams – lygus reikšmei; tuščias, kai nuslėpta.",
           "For ratios the numerator, for counts equal to value; empty when suppressed."),
    Column("denominator", "number", "Tik santykiams – vardiklis; tuščias, kai nuslėpta.",
           "Ratios only: the denominator; empty when suppressed."),
    Column("target", "number",
           "Programos laikotarpio publikacijoje – programos tikslas (iš darbo srities nustatymų) rodiklio "
           "bendros sumos langelyje; kitur tuščia.",
           "In a programme period's publication: the programme's target (from the workspace config) on the "
           "indicator's total cell; empty elsewhere."),
    Column("unit", "text", "Matavimo vienetas: persons, households, contacts, sessions, hours, days, ratio ...",
           "Unit: persons, households, contacts, sessions, hours, days, ratio, ..."),
    Column("suppressed", "true/false", "Ar langelis nuslėptas (konfidencialumo apsauga).",
           "Whether the cell is suppressed (disclosure control)."),
    Column("reason", "text",
           "„suppressed“, kai langelis nuslėptas, tuščia – kai ne. Kodėl nuslėpta (mažas skaičius ar kito "
           "langelio apsauga), neskelbiama: tai leistų apskaičiuoti mažus skaičius.",
           "\"suppressed\" when the cell is suppressed, empty when not. Why (a small count, or the protection "
           "of another cell) is not published: it would let a reader work the small counts out."),
)
_VERSION = (
    Column("period", "text", "Ataskaitinis laikotarpis: „2026-Q3“, „2026-09“, „2026“ arba programos kodas.",
           "Reporting period: \"2026-Q3\", \"2026-09\", \"2026\" or a programme code."),
    Column("version", "integer", "Laikotarpio publikacijos versija (1, 2, ...); galioja naujausia patvirtinta.",
           "Publication version within the period (1, 2, ...); the newest approved one is current."),
)

TABLES: dict[str, tuple[str, str, tuple[Column, ...]]] = {
    "ministry_cells": (
        "Patvirtintų publikacijų rodiklių reikšmės (ilgas formatas), apsaugotos nuo atskleidimo.",
        "Indicator values of approved publications (long format), disclosure-protected.",
        (*_VERSION, *_CELL_KEY, *_FIGURES)),
    "ministry_publications": (
        "Patvirtintos publikacijų versijos ir iš ko jos apskaičiuotos.",
        "Approved publication versions and what they were computed from.",
        (*_VERSION,
         Column("period_start", "date", "Laikotarpio pradžia (imtinai).", "First day of the period."),
         Column("period_end", "date", "Laikotarpio pabaiga (imtinai).", "Last day of the period."),
         Column("approved_at", "timestamp", "Kada patvirtinta (UTC).", "When approved (UTC)."),
         Column("catalogue_version", "text", "Rodiklių katalogo versija.", "Indicator catalogue version."),
         Column("code_version", "text", "Programos versija (ir git commit).", "Software version (and git commit)."),
         Column("disclosure_rules", "JSON", "Taikytos slėpimo taisyklės ir slenksčiai.",
                "Suppression rules and thresholds applied."),
         Column("inputs_sha256", "text", "Visų įvesties paketų sąrašo SHA-256.",
                "SHA-256 of the list of input batches."),
         Column("input_batches", "integer", "Kiek įkeltų duomenų paketų panaudota.",
                "How many loaded data batches fed the version."),
         Column("cells", "integer", "Langelių skaičius.", "Number of cells."),
         Column("suppressed_cells", "integer", "Nuslėptų langelių skaičius.", "Number of suppressed cells."),
         Column("changed_cells", "integer", "Kiek langelių pasikeitė nuo ankstesnės versijos; tuščia v1.",
                "Cells changed since the previous version; empty for v1."))),
    "ministry_indicators": (
        "Patvirtintų publikacijų rodiklių apibrėžimai, tokie, kokius katalogas pateikė skaičiuojant.",
        "Definitions of the indicators of approved publications, as the catalogue gave them when computed.",
        (*_VERSION,
         Column("indicator", "text", "Rodiklio kodas (ministry_cells.indicator).",
                "Indicator code (ministry_cells.indicator)."),
         Column("indicator_group", "text", "Rodiklių grupė (XLSX lapas).", "Indicator group (the XLSX sheet)."),
         Column("name_lt", "text", "Pavadinimas lietuviškai.", "Name in Lithuanian."),
         Column("name_en", "text", "Pavadinimas angliškai.", "Name in English."),
         Column("definition_lt", "text", "Apibrėžimas lietuviškai: kas ir kaip skaičiuojama.",
                "Definition in Lithuanian: what is counted and how."),
         Column("definition_en", "text", "Apibrėžimas angliškai.", "Definition in English."),
         Column("unit", "text", "Matavimo vienetas (kaip ministry_cells.unit).", "Unit (as ministry_cells.unit)."),
         Column("sensitivity", "text", "„standard“ arba „dv“ (smurto artimoje aplinkoje duomenys: griežtesnis "
                "slėpimo slenkstis).", "\"standard\" or \"dv\" (domestic-violence data: a stricter suppression "
                "threshold)."),
         Column("numerator", "text", "Santykiams – skaitiklio rodiklio kodas; kitaip tuščia.",
                "Ratios: the numerator's indicator code; empty otherwise."),
         Column("denominator", "text", "Santykiams – vardiklio rodiklio kodas; kitaip tuščia.",
                "Ratios: the denominator's indicator code; empty otherwise."),
         Column("breakdowns", "text", "Skelbiami suskaidymai (ministry_cells.breakdown reikšmės).",
                "The published breakdowns (values of ministry_cells.breakdown)."),
         Column("catalogue_version", "text", "Rodiklių katalogo versija.", "Indicator catalogue version."))),
}

_STATUS_LT = ("„published“ – reikšmė paskelbta; „suppressed“ – nuslėpta (reikšmė tuščia); "
              "„not_applicable“ – reikšmės nėra, nes nėra ką skaičiuoti (santykis, kurio vardiklis 0; reikšmė tuščia)")
_STATUS_EN = ("\"published\" the value is published; \"suppressed\" hidden (value empty); "
              "\"not_applicable\" there is no figure to publish (a ratio whose denominator is 0; value empty)")
_STATUS = Column("status", "text", _STATUS_LT + ".", _STATUS_EN + ".")

EXPORT_COLUMNS: tuple[Column, ...] = (*_VERSION, *_CELL_KEY, *_FIGURES, _STATUS)
"""Columns of cells.csv and cells.json, in file order: the ministry_cells columns, then status."""

INDICATOR_NAMES: tuple[Column, ...] = (
    Column("name_lt", "text", "Rodiklio pavadinimas lietuviškai.", "Indicator name in Lithuanian."),
    Column("name_en", "text", "Rodiklio pavadinimas angliškai.", "Indicator name in English."),
)
XLSX_COLUMNS: tuple[Column, ...] = (*_VERSION, _CELL_KEY[0], *INDICATOR_NAMES, *_CELL_KEY[1:], *_FIGURES, _STATUS)
"""Columns of the XLSX indicator-group sheets: those of cells.csv, with the indicator's names after its code."""

DIFF_COLUMNS: tuple[Column, ...] = (
    *_VERSION,
    Column("previous_version", "integer", "Su kuria versija lyginta.", "The version compared with."),
    *_CELL_KEY,
    Column("change", "text", "„added“ – naujas langelis, „removed“ – dingęs, „changed“ – pasikeitė.",
           "\"added\" a new cell, \"removed\" a cell gone, \"changed\" a changed cell."),
    Column("value_before", "number", "Skelbta reikšmė ankstesnėje versijoje (tuščia, jei nuslėpta).",
           "Published value in the previous version (empty when suppressed)."),
    Column("value_after", "number", "Skelbiama reikšmė šioje versijoje (tuščia, jei nuslėpta).",
           "Published value in this version (empty when suppressed)."),
    Column("suppressed_before", "true/false", "Ar buvo nuslėpta.", "Whether it was suppressed."),
    Column("suppressed_after", "true/false", "Ar nuslėpta dabar.", "Whether it is suppressed now."),
    Column("status_before", "text", "Langelio būsena ankstesnėje versijoje (kaip status); tuščia – langelio nebuvo.",
           "The cell's status in the previous version (as status); empty when the cell did not exist."),
    Column("status_after", "text", "Langelio būsena šioje versijoje (kaip status); tuščia – langelio nebėra.",
           "The cell's status in this version (as status); empty when the cell is gone."),
)
"""Columns of changes.csv (versions 2 and later): only cells whose published content changed."""

FILES: tuple[tuple[str, str, str], ...] = (
    ("cells.csv", "Visi langeliai, CSV (UTF-8 su BOM, skirtukas „,“, dešimtainis taškas).",
     "Every cell, CSV (UTF-8 with BOM, \",\" separated, decimal point)."),
    ("cells.json", "Tie patys langeliai JSON formatu (UTF-8): period, version, decimals, rounding, indicators "
     "(pavadinimai ir apibrėžimai) ir cells – po objektą langeliui su cells.csv stulpeliais; tuščia reikšmė – null.",
     "The same cells as JSON (UTF-8): period, version, decimals, rounding, indicators (names and definitions) "
     "and cells, an object per cell with the columns of cells.csv; an empty value is null."),
    ("cells.xlsx", "Tie patys langeliai Excel formatu: po lapą kiekvienai rodiklių grupei (su rodiklių "
     "pavadinimais, užfiksuota antrašte ir filtrais), lapai README, dictionary (stulpeliai), definitions "
     "(rodikliai) ir changes (nuo v2).",
     "The same cells as Excel: a sheet per indicator group (with the indicators' names, a frozen header and "
     "filters), and sheets README, dictionary (columns), definitions (indicators) and changes (v2 onwards)."),
    ("changes.csv", "Nuo ankstesnės versijos pasikeitę langeliai (tik nuo v2).",
     "Cells changed since the previous version (v2 onwards)."),
    ("metadata.json", "Versija, taisyklės, įvesties paketai (SHA-256), skaičių tikslumas (decimals, rounding), "
     "kiekvieno failo SHA-256.",
     "Version, rules, input batches (SHA-256), the precision of the figures (decimals, rounding), SHA-256 of "
     "every file."),
)


def figures_text() -> list[tuple[str, str]]:
    """How each state of a cell and each precision is written, in LT and EN: the README sheet and the docs say this."""
    places = ", ".join(f"{unit} {n}" for unit, n in DECIMALS.items())
    return [
        (f"Langelio būsena – stulpelis status: {_STATUS_LT}.",
         f"Each cell's state is the column status: {_STATUS_EN}."),
        (f"Skaičiai suapvalinti iki tiek skaitmenų po kablelio (5 apvalinama didyn): {places}; kitų vienetų "
         f"skaičiai – sveikieji. Santykio skaitiklis ir vardiklis – iki {PART_DECIMALS} (kiekiai – sveikieji).",
         f"Figures are rounded half up to this many decimal places: {places}; figures of every other unit are whole "
         f"numbers. A ratio's numerator and denominator: at most {PART_DECIMALS} (counts are whole numbers)."),
    ]


def render_markdown() -> str:
    """docs/data-dictionary.md, as the tests require it to read."""
    lines = [
        "# Data dictionary: ministry tables and exports",
        "",
        "Generated from `src/interchange/indicators/dictionary.py` (the XLSX README sheet shows the same).",
        "Descriptions in Lithuanian, then English. How versions, approval and suppression work:",
        "[publishing.md](publishing.md).",
        "",
        "A cell is one figure of one indicator for one combination of the dimensions `month`,",
        f"`municipality`, `org`, `sex`, `age_group`; a dimension the cell does not break down by holds `{ALL}`.",
        "The current figures of a period are those of its newest version in `ministry_publications`:",
        "",
        "```sql",
        "SELECT c.*",
        "FROM ministry_cells c",
        "JOIN (SELECT period, MAX(version) AS version FROM ministry_publications GROUP BY period) cur",
        "  ON cur.period = c.period AND cur.version = c.version",
        "WHERE c.period = '2026-Q3' AND c.indicator = 'dv_help_persons' AND c.breakdown = 'total';",
        "```",
        "",
        "Each figure with its indicator's name and definition, as the version was computed:",
        "",
        "```sql",
        "SELECT d.name_en, d.definition_en, c.breakdown, c.sex, c.value, c.target, c.suppressed, c.reason",
        "FROM ministry_cells c",
        "JOIN ministry_indicators d",
        "  ON d.period = c.period AND d.version = c.version AND d.indicator = c.indicator",
        "WHERE c.period = '2026-Q3' AND c.version = 1 AND c.indicator = 'persons_served';",
        "```",
        "",
    ]
    for table, (lt, en, columns) in TABLES.items():
        lines += [f"## Table `{table}`", "", f"{lt}  ", f"*{en}*", "", *_column_table(columns), ""]
    lines += ["## Exports: `outbox/ministry/<period>/v<N>/`", "", "| file | LT | EN |", "|---|---|---|"]
    lines += [f"| `{name}` | {lt} | {en} |" for name, lt, en in FILES]
    lines += ["", "### How a figure is written", ""]
    for lt, en in figures_text():
        lines += [f"{lt}  ", f"*{en}*", ""]
    lines += ["### `cells.csv`, `cells.json` and the XLSX indicator-group sheets", "",
              "The columns of `ministry_cells`, then `status`, in this order; the XLSX sheets add the indicator's",
              "names (`name_lt`, `name_en`) after `indicator`:", "", *_column_table(EXPORT_COLUMNS), "",
              "### `changes.csv`", "", *_column_table(DIFF_COLUMNS), ""]
    return "\n".join(lines)


def _column_table(columns: tuple[Column, ...]) -> list[str]:
    rows = ["| column | type | LT | EN |", "|---|---|---|---|"]
    return rows + [f"| `{c.name}` | {c.type} | {_md(c.lt)} | {_md(c.en)} |" for c in columns]


def _md(text: str) -> str:
    return text.replace("|", "\\|")
