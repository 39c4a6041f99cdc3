"""Project Server (Subscription Edition) REST API: `_api/ProjectServer/`, `_api/ProjectData/`
and `_api/contextinfo`, over its own MongoDB database. See `sandbox/README.md`."""
