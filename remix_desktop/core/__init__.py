"""The domain: library, consent, media. Plain Python; never imports Qt."""
