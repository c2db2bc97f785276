"""Fakes that script behaviour for tests: real local servers, not mocks."""
