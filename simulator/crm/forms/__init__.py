"""Flask-WTF forms of the CRM, validated with Polish messages."""
