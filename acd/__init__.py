"""omnirelay ACD: skills/language/load routing, atomic in Redis."""
