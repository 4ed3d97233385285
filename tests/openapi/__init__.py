"""The documents and validation: openapi-core, the proven shortcuts, multipart, Schemathesis."""
