"""What the client would use, gathered with provenance and validated before any network."""
