"""`error.*`: what the package's errors say (see `interchange.errors`)."""

TEXT: dict[str, tuple[str, str]] = {}
