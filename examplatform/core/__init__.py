"""Pieces shared by every domain: the model base, time, errors, guards, content loading."""
