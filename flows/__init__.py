"""Prefect flows: thin shells over the plain functions in `src/interchange/` (DESIGN.md, Layers).

This folder sits beside `src/`, not inside the package, because nothing in
`src/interchange` may import Prefect. The `interchange` command imports it from the
checkout it runs from (see `interchange.cli.flows_module`); Prefect deployments name a
flow by path, e.g. `flows/ingest.py:ingest`.
"""

from flows.run_logs import forward_library_logs

forward_library_logs()
