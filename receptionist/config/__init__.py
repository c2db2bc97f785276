"""Settings (from the environment) and business profiles (from YAML), validated once and passed in."""

from receptionist.config.profile import BusinessProfile, ProfileError, load_profile
from receptionist.config.settings import Settings

__all__ = ["BusinessProfile", "ProfileError", "Settings", "load_profile"]
