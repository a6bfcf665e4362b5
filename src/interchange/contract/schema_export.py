"""JSON Schemas of the contract, generated from the models and checked in under schemas/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from interchange.contract.cells_export import CellsExport
from interchange.contract.manifest import Manifest
from interchange.contract.receipt import Receipt
from interchange.contract.records import MODELS, SCHEMA_VERSION
from interchange.contract.services import CATALOGUE_VERSION

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _document(name: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{name}.schema.json",
        "x-schema-version": SCHEMA_VERSION,
        "x-service-catalogue-version": CATALOGUE_VERSION,
        **schema,
    }


def schema_documents() -> dict[str, str]:
    """File name -> JSON text, for every record kind, the manifest, the receipt and the ministry's cells.json."""
    models: dict[str, type[BaseModel]] = {str(kind): model for kind, model in MODELS.items()}
    models["manifest"] = Manifest
    models["receipt"] = Receipt
    models["cells"] = CellsExport
    return {
        f"{name}.schema.json": json.dumps(_document(name, model), indent=2, ensure_ascii=False)
        + "\n"
        for name, model in models.items()
    }


def export_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def schema_drift(directory: Path) -> list[str]:
    """Names of schema files that are missing or differ from what the models generate."""
    return [
        name
        for name, text in schema_documents().items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text
    ]
