"""Background work on arq: worker settings, job functions and schedules."""
