"""Self-hosted scheduling: cron expressions with cron's meaning, and the foreground scheduler."""
