"""What a data steward runs the hub with: status, alerts, overdue drops, steward messages (no Prefect here)."""
