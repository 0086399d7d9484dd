"""Writes of the accounts app, by concern; import from the module that holds the service.

- login: WeChat and SMS login, SMS codes, finding or creating the patient
- passwords: patients' password and username, password login (locked out by django-axes), reset by SMS code
- tokens: JWT pairs, refresh-token rotation, logout (revoking the login session)
- profiles: patient profiles (就诊人)
- staff: user accounts edited by staff in the management site

Membership writes (points, levels, late cancels) are in accounts.members.
"""
