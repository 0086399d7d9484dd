"""The records API: patients' reads (patient.py), doctors' and staff's (clinician.py)."""
