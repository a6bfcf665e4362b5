"""What a data steward runs the hub with: status, reprocessing, alerts, overdue drops (no Prefect here)."""
