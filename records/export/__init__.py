"""Exports of one visit: a PDF for the patient to print, a FHIR R4B Bundle for other systems.

Both take a `VisitDocument` (document.py): plain, already decrypted values, built by the
records services after the access check. The renderers know nothing of models or access.
"""
