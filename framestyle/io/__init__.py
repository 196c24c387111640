"""Files in and out: images, animations and (later) video. No torch here."""
