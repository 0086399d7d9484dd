"""Patients for booking tests: the accounts factories, under the names these tests use."""

from tests.accounts.factories import PatientFactory as PatientUserFactory
from tests.accounts.factories import PatientProfileFactory

__all__ = ["PatientProfileFactory", "PatientUserFactory"]
