"""Building the gateway's container image with Podman (`python -m deploy.image`)."""
