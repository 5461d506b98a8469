"""The qualification definition (kwalifikacja 13881) as versioned data."""
