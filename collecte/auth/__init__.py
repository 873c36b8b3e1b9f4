"""Who is signing in: password hashing and bearer tokens."""
