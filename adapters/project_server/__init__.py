"""Project Server (Project Online, Subscription Edition) through its REST (CSOM) API."""

from adapters.project_server.connector import API_PATH, ProjectServerConnector

__all__ = ["API_PATH", "ProjectServerConnector"]
