"""The record contract: models, code lists, header aliases, problems, schema export."""
