"""Protocol-faithful emulators of Dataverse and Business Central. Imports nothing from the
rest of the project: it is the other side of the wire."""
