"""Evaluation runners behind ``receptionist eval``."""
