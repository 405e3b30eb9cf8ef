"""marshmallow schemas: what the API and the import documents accept and return."""
