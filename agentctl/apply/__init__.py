"""The executor (the only code that mutates) and the lifecycle operations run through it."""
