"""The offline brain: a classifier trained from the profile, slot extraction and a templated dialogue policy."""
