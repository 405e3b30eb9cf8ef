"""marshmallow schemas: what the API and the import documents accept and return.

Below the services (``services.importing`` loads election documents with them) and the edges;
may import the models' limits, the pure helpers and the counting core."""
