"""The landing dashboard, language switch and health check."""
