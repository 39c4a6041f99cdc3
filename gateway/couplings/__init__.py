"""Couplings as users see them: accounts and customers read together, coupling and
uncoupling, create-and-couple, and matching records in bulk.

- `views`: what is shown of a record, through one field table per ERP.
- `directory`: many records, figures or couplings at once (what the DataLoaders call).
- `listing`: pages of accounts or customers, all, coupled or uncoupled.
- `service`: couple, uncouple, create the counterpart; refusals name the input at fault.
- `dependencies`: references that must be coupled first ("couple salespeople first").
- `matching`: couple uncoupled records whose chosen fields hold the same values.
"""
