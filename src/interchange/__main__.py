from interchange.cli import app

app(prog_name="interchange")
