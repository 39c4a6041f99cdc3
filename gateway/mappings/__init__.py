"""Table and field mappings: the data that says what synchronizes with what, and how."""
