"""The validation commission (komisja walidacyjna): composition, conflicts of interest, scoring, decisions."""
