"""Messages to users: the in-app outbox (no e-mail is sent from development machines)."""
