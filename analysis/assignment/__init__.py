"""Assignment: placing each comment under a commitment of the catalogue, or saying it fits none."""
