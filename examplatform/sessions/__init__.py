"""Validation sessions (sesje walidacyjne) and the candidates enrolled in them."""
