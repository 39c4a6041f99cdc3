"""Cross-system lifecycles as recorded workflows: quotes, projects, orders and invoices.

`instances` stores each run and its steps, `steps` runs steps so that a run interrupted
anywhere resumes without repeating what it did, `engine` starts, replays and resumes runs,
one module per document lifecycle defines the operations, and `background` is what the jobs
run: resuming interrupted runs and processing documents automatically.
"""
