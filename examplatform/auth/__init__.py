"""Accounts, roles, login, passwords."""
