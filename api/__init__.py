"""The HTTP API: Flask-RESTX app factory, namespaces, schemas and errors."""
