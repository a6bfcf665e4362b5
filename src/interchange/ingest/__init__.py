"""Hub-side ingestion of partner drops: batch validation and loading."""
