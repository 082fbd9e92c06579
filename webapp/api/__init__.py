"""The JSON API for other systems (bearer tokens), with its OpenAPI document."""
