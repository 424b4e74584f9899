"""omnirelay gateway: HTTP, Socket.IO, storage and the glue to the ACD."""
