"""Socket.IO: the server and its three namespaces (/visitor, /agent, /supervisor)."""
